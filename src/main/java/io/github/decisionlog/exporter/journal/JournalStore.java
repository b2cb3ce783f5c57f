package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Journal.SyncPolicy;
import io.micrometer.core.instrument.Counter;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import org.springframework.util.unit.DataSize;

/**
 * The journal's store: the Chronicle Queue on disk, opened (and recovered when it is damaged), appended to, read, and
 * the acknowledged position, which is kept apart from any tailer (a named tailer moves when it reads, not when Kafka
 * acknowledges) and persisted in the queue's metadata file. Appends are serialised by this object's lock.
 */
final class JournalStore implements AutoCloseable {

    static final String ACKNOWLEDGED_ID = "acknowledged";
    /**
     * Journal files grow, and are mapped into memory, in blocks of this size: small blocks keep the size on disk close
     * to what is used and the resident memory of the mapped journal small (the appender and the publisher map a
     * block each). An entry may take a quarter of a block: see {@link ExporterProperties#LARGEST_RECORD}.
     */
    static final long BLOCK_SIZE = 8L << 20;
    /**
     * Kept free under the cap for what the estimate between two measurements cannot see (index pages of a new cycle
     * file, page rounding), and for where the size on disk can only be estimated from file lengths, which run up to a
     * block and its 2 MiB overlap ahead of what is written.
     */
    static final long GROWTH_RESERVE = 2 * BLOCK_SIZE;
    /** Room counted for an entry's metadata and header besides the record's bytes, generously. */
    static final int ENTRY_METADATA = 4096;
    private static final long LARGEST_RECORD_BYTES = DataSize.parse(ExporterProperties.LARGEST_RECORD).toBytes();

    private final ExporterProperties.Journal settings;
    private final Path queueDir;
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final LongValue acknowledgedIndex;
    private final String journalId;
    private final JournalFileSync fileSync;
    private final SyncFailures syncFailures;
    private final DiskBudget budget;
    private final PageToucher pageToucher;
    private final long backlogAtStart;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private long appendedSeq; // guarded by this
    private volatile long syncedSeq;
    private volatile long lastAppendedIndex;
    private volatile boolean open = true;

    /**
     * Opens the queue in the journal's directory. A queue that is damaged is moved aside and what can be read in it
     * journaled again (see {@link DamagedQueue}); any other failure stops start-up with its cause.
     */
    static JournalStore open(ExporterProperties.Journal settings, RollCycle rollCycle, SyncFailures syncFailures,
            Counter recoveries) {
        Path dir = settings.dir();
        Path queueDir = dir.resolve("queue");
        checkUsable(queueDir);
        DamagedQueue unfinished = DamagedQueue.unfinished(dir, queueDir);
        String journalId = readOrCreateJournalId(dir.resolve("journal.id"));
        if (unfinished != null) {
            return new JournalStore(settings, rollCycle, journalId, syncFailures, unfinished);
        }
        try {
            return new JournalStore(settings, rollCycle, journalId, syncFailures, null);
        } catch (Exception | AssertionError e) {
            DamagedQueue.requireDamage(e, dir, queueDir, rollCycle);
            recoveries.increment();
            DamagedQueue damaged = DamagedQueue.moveAside(dir, queueDir, journalId, e);
            return new JournalStore(settings, rollCycle, readOrCreateJournalId(dir.resolve("journal.id")),
                    syncFailures, damaged);
        }
    }

    static SingleChronicleQueueBuilder builder(Path queueDir, RollCycle rollCycle) {
        return SingleChronicleQueueBuilder.binary(queueDir)
                .rollCycle(rollCycle)
                .blockSize(BLOCK_SIZE)
                .syncMode(SyncMode.NONE); // syncs are JournalFileSync's fsyncs; see there why not Chronicle's
    }

    private JournalStore(ExporterProperties.Journal settings, RollCycle rollCycle, String journalId,
            SyncFailures syncFailures, DamagedQueue damaged) {
        this.settings = settings;
        this.queueDir = settings.dir().resolve("queue");
        this.journalId = journalId;
        this.syncFailures = syncFailures;
        this.fileSync = new JournalFileSync(queueDir);
        this.queue = builder(queueDir, rollCycle).build();
        try {
            appender = queue.createAppender();
            appender.singleThreadedCheckDisabled(true); // appends from many connections, serialised by this object
            acknowledgedIndex = queue.indexForId(ACKNOWLEDGED_ID);
            if (damaged != null) {
                recover(damaged, rollCycle);
            }
            long records = 0;
            long bytes = 0;
            try (JournalReader reader = reader()) {
                for (int size; (size = reader.skip()) >= 0; records++) {
                    bytes += size;
                }
            }
            backlogAtStart = records;
            lastAppendedIndex = queue.lastIndex() < 0 ? Journal.NO_RECORD : queue.lastIndex();
            budget = new DiskBudget(settings.dir(), settings.maxSize().toBytes(), GROWTH_RESERVE,
                    settings.minFreeDisk().toBytes(), bytes);
            // with syncs, the pages touched ahead (dirty, though still zero) would be written by every sync as well
            long touchAhead = settings.sync() == SyncPolicy.NONE ? settings.touchAhead().toBytes() : 0;
            pageToucher = touchAhead == 0 ? null
                    : new PageToucher(queue, touchAhead, appended::get, budget::hasRoomFor);
            if (pageToucher != null) {
                pageToucher.start(); // last: nothing after it can fail and leave the thread running
            }
        } catch (RuntimeException | Error e) {
            fileSync.close();
            queue.close();
            throw e;
        }
    }

    /** Journals again what can be read in a damaged queue, syncs it, and only then lets the damaged copy go. */
    private void recover(DamagedQueue damaged, RollCycle rollCycle) {
        damaged.requireRoom(settings.dir(), settings.minFreeDisk().toBytes());
        DamagedQueue.Recovery recovery = damaged.recover(rollCycle, entry -> {
            RecordMeta m = entry.meta();
            RecordMeta withId = new RecordMeta(m.source(), entry.recordId(), m.eventType(), m.resourceKey(),
                    m.constraintKey(), m.runId(), m.rejectReason(), m.redacted());
            write(entry.receivedAtMillis(), withId, entry.payload(), 0, entry.payload().length);
            fileSync.written(appender.currentFile());
        });
        fileSync.force();
        damaged.finish(recovery, queueDir);
    }

    /**
     * The checks that name an I/O error before Chronicle meets it: the queue's place is a directory, and the
     * journal's files in it can be written. A file that cannot be is not damage, and must not be moved aside.
     */
    private static void checkUsable(Path queueDir) {
        if (!Files.exists(queueDir)) {
            return;
        }
        if (!Files.isDirectory(queueDir)) {
            throw new IllegalStateException("exporter.journal.dir: " + queueDir + " is not a directory; the journal "
                    + "keeps its queue there");
        }
        try (var files = Files.list(queueDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                        // can be written
                    }
                }
            }
            Path probe = queueDir.resolve(".write-check");
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot write the journal at " + queueDir + ": " + e,
                    e);
        }
    }

    /**
     * Appends one record if the budget has room for it, and returns its index; returns {@link Journal#NO_RECORD}
     * when it has none. Room is checked under the append lock, so appends at once cannot together pass the cap.
     */
    synchronized long appendIfRoom(RecordMeta meta, byte[] buf, int off, int len) {
        if (!open) {
            throw new JournalClosedException();
        }
        if (budget.isFull(len + ENTRY_METADATA)) {
            return Journal.NO_RECORD;
        }
        long receivedAt = System.currentTimeMillis();
        budget.appended(write(receivedAt, meta, buf, off, len));
        long index = appender.lastIndexAppended();
        lastAppendedIndex = index;
        fileSync.written(appender.currentFile());
        appendedSeq++;
        appended.incrementAndGet();
        if (settings.sync() == SyncPolicy.ALWAYS
                || (settings.sync() == SyncPolicy.BATCH && appendedSeq - syncedSeq >= settings.syncEvery())) {
            syncLocked();
        }
        return index;
    }

    /** Checks a record's size before anything is written; a record that does not fit is refused whole. */
    static void checkFits(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len > LARGEST_RECORD_BYTES) {
            throw new IllegalArgumentException("a record of " + len + " bytes is larger than a journal entry holds ("
                    + ExporterProperties.LARGEST_RECORD + "); it was not journaled");
        }
    }

    /** Writes one entry; if writing fails, nothing of it stays in the journal. Returns the entry's size. */
    private int write(long receivedAt, RecordMeta meta, byte[] buf, int off, int len) {
        try (DocumentContext dc = appender.writingDocument()) {
            try {
                return EntryCodec.write(dc.wire().bytes(), receivedAt, meta, buf, off, len);
            } catch (RuntimeException | Error e) {
                dc.rollbackOnClose();
                throw new IllegalStateException("cannot write a record of " + len + " bytes into the journal; nothing "
                        + "of it was kept: " + e, e);
            }
        }
    }

    /** Syncs when the batch policy asks for it and records wait to be synced; see {@link Journal#awaitDurable()}. */
    synchronized void syncIfBehind() {
        if (open && syncedSeq < appendedSeq) {
            syncLocked();
        }
    }

    synchronized void sync() {
        if (open) {
            syncLocked();
        }
    }

    private void syncLocked() {
        try {
            fileSync.force();
        } catch (RuntimeException e) {
            syncFailures.failed(e);
            throw e;
        }
        syncFailures.succeeded();
        syncedSeq = appendedSeq;
        notifyAll();
    }

    synchronized long unsyncedRecords() {
        return appendedSeq - syncedSeq;
    }

    /**
     * Runs {@code action} under the append lock if every record appended is acknowledged up to {@code acknowledged},
     * so no append can be on its way meanwhile; returns whether it ran.
     */
    synchronized boolean whileNothingWaits(long acknowledged, Runnable action) {
        if (open && acknowledged != Journal.NO_RECORD && acknowledged == lastAppendedIndex) {
            action.run();
            return true;
        }
        return false;
    }

    JournalReader reader() {
        return new JournalReader(queue, journalId, this::acknowledgedIndex);
    }

    void acknowledge(long index, int count, long bytes) {
        acknowledgedIndex.setOrderedValue(index);
        acknowledged.addAndGet(count);
        budget.acknowledged(bytes);
    }

    /** Index of the last acknowledged record, or {@link Journal#NO_RECORD} when none is. */
    long acknowledgedIndex() {
        long index = acknowledgedIndex.getVolatileValue();
        return index <= 0 ? Journal.NO_RECORD : index;
    }

    long lastAppendedIndex() {
        return lastAppendedIndex;
    }

    long appendedCount() {
        return appended.get();
    }

    long acknowledgedCount() {
        return acknowledged.get();
    }

    long backlogRecords() {
        return backlogAtStart + appended.get() - acknowledged.get();
    }

    long backlogAtStart() {
        return backlogAtStart;
    }

    SingleChronicleQueue queue() {
        return queue;
    }

    DiskBudget budget() {
        return budget;
    }

    String journalId() {
        return journalId;
    }

    boolean isOpen() {
        return open;
    }

    PageToucher pageToucher() {
        return pageToucher;
    }

    JournalFileSync fileSync() {
        return fileSync;
    }

    /** Closes the queue; with a sync policy other than none, syncs first (a failure is counted; the close goes on). */
    @Override
    public synchronized void close() {
        if (!open) {
            return;
        }
        if (settings.sync() != SyncPolicy.NONE) {
            try {
                syncLocked();
            } catch (RuntimeException e) {
                // counted and logged by syncLocked; closing goes on, so the lock is released
            }
        }
        open = false;
        if (pageToucher != null) {
            pageToucher.close();
        }
        fileSync.close();
        appender.close();
        queue.close();
        notifyAll();
    }

    private static String readOrCreateJournalId(Path file) {
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.US_ASCII).trim();
            }
            byte[] random = new byte[8];
            ThreadLocalRandom.current().nextBytes(random);
            String id = HexFormat.of().formatHex(random);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, id, StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot use " + file + ": " + e, e);
        }
    }
}
