package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Journal.SyncPolicy;
import io.github.decisionlog.exporter.ExporterProperties.Journal.WhenFull;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The one place a record lives between "accepted" and "acknowledged by Kafka": a Chronicle Queue on local disk and
 * the acknowledged position, which is kept apart from any tailer (a named tailer moves when it reads, not when Kafka
 * acknowledges) and persisted in the queue's metadata file. It also keeps the disk budget, the sync policy and the
 * deletion of acknowledged files.
 */
@Component
public class Journal implements SmartLifecycle {

    /** Opened first and closed last: sources and the publisher both need it. */
    public static final int PHASE = 0;

    /** What {@link #append} returns for a record dropped because the journal is full and the policy is drop. */
    public static final long DROPPED = -1;

    /** An index no record has. */
    public static final long NO_RECORD = Long.MIN_VALUE;

    static final long NO_INDEX = NO_RECORD;

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final String ACKNOWLEDGED_ID = "acknowledged";
    /**
     * Journal files grow, and are mapped into memory, in blocks of this size: small blocks keep the size on disk close
     * to what is used and the resident memory of the mapped journal small (the appender and the publisher map a
     * block each). An entry may take a quarter of a block: see {@link ExporterProperties#LARGEST_RECORD}.
     */
    private static final long BLOCK_SIZE = 8L << 20;
    /**
     * Kept free under the cap for what the estimate between two measurements cannot see (index pages of a new cycle
     * file, page rounding), and for where the size on disk can only be estimated from file lengths, which run up to a
     * block and its 2 MiB overlap ahead of what is written.
     */
    static final long GROWTH_RESERVE = 2 * BLOCK_SIZE;
    private static final long HOUSEKEEPING_MILLIS = 200;
    /** Room counted for an entry's metadata and header besides the record's bytes, generously. */
    private static final int ENTRY_METADATA = 4096;

    private final ExporterProperties.Journal settings;
    private final Path queueDir;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final Counter recoveries;
    private final Counter dropped;
    private final Object room = new Object();
    private final JournalFileSync fileSync = new JournalFileSync(); // guarded by this

    private volatile SingleChronicleQueue queue;
    private ExcerptAppender appender;
    private LongValue acknowledgedIndex;
    private String journalId;
    private volatile long backlogAtStart;
    private long appendedSeq; // guarded by this
    private volatile long lastAppendedIndex = NO_RECORD;
    private volatile long syncedSeq;
    private DiskBudget budget;
    private AcknowledgedFiles acknowledgedFiles;
    private ScheduledExecutorService housekeeping;
    private JournalLock lock;

    public Journal(ExporterProperties properties, MeterRegistry registry) {
        this.settings = properties.journal();
        this.queueDir = settings.dir().resolve("queue");
        this.recoveries = Counter.builder("decisionlog.journal.recoveries")
                .description("Times a damaged journal was moved aside at start-up").register(registry);
        this.dropped = Counter.builder("decisionlog.records.dropped").tag("reason", "journal_full")
                .description("Records dropped instead of journaled (only with exporter.journal.when-full=drop)")
                .register(registry);
    }

    @Override
    public synchronized void start() {
        Path dir = settings.dir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot use " + dir + ": " + e.getMessage(), e);
        }
        lock = JournalLock.acquire(dir, settings.lockTimeout());
        try {
            journalId = readOrCreateJournalId(dir.resolve("journal.id"));
            openQueue();
        } catch (IOException e) {
            lock.close();
            throw new UncheckedIOException("exporter.journal.dir: cannot use " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        acknowledgedFiles = new AcknowledgedFiles(queue, queueDir, settings.retention());
        deleteAcknowledgedFiles();
        budget.refresh(backlogAtStart);
        housekeeping = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "journal-housekeeping"));
        housekeeping.scheduleWithFixedDelay(this::housekeeping, HOUSEKEEPING_MILLIS, HOUSEKEEPING_MILLIS,
                TimeUnit.MILLISECONDS);
        if (settings.sync() == SyncPolicy.BATCH) {
            long interval = settings.syncInterval().toMillis();
            housekeeping.scheduleWithFixedDelay(this::syncIfBehind, interval, interval, TimeUnit.MILLISECONDS);
        }
        log.info("Journal {} opened at {}: {} records wait for Kafka, files take {} MiB (sync {}, cap {} MiB, "
                + "when full: {})", journalId, dir, backlogAtStart, bytesOnDisk() >> 20,
                settings.sync().name().toLowerCase(), settings.maxSize().toMegabytes(),
                settings.whenFull().name().toLowerCase());
    }

    /**
     * Opens the queue. A queue that cannot be opened (a crash can leave one damaged) is moved aside whole and a new
     * one started, so that the exporter never crash-loops on its own journal; what was moved aside stays on disk.
     */
    private void openQueue() {
        try {
            buildQueue();
        } catch (RuntimeException e) {
            Path aside = settings.dir().resolve("queue.damaged-" + System.currentTimeMillis());
            log.error("Journal at {} cannot be opened ({}); moved it aside to {} and starting an empty one. Records "
                    + "in it that Kafka had not acknowledged are not sent.", queueDir, e, aside);
            recoveries.increment();
            closeQuietly();
            try {
                Files.move(queueDir, aside, StandardCopyOption.ATOMIC_MOVE);
                // a new queue numbers its records anew: a new journal id keeps derived record ids unique
                Files.delete(settings.dir().resolve("journal.id"));
                journalId = readOrCreateJournalId(settings.dir().resolve("journal.id"));
            } catch (IOException moveFailed) {
                throw new UncheckedIOException("exporter.journal.dir: cannot move the damaged journal aside", moveFailed);
            }
            buildQueue();
        }
    }

    private void buildQueue() {
        queue = SingleChronicleQueueBuilder.binary(queueDir)
                .rollCycle(rollCycle(settings.rollCycle()))
                .blockSize(BLOCK_SIZE)
                .syncMode(SyncMode.NONE) // syncs are JournalFileSync's fsyncs; see there why not Chronicle's
                .build();
        appender = queue.createAppender();
        appender.singleThreadedCheckDisabled(true); // appends from many connections, serialised by this object
        acknowledgedIndex = queue.indexForId(ACKNOWLEDGED_ID);
        long records = 0;
        long bytes = 0;
        try (JournalReader reader = reader()) {
            for (int size; (size = reader.skip()) >= 0; records++) {
                bytes += size;
            }
        }
        backlogAtStart = records;
        lastAppendedIndex = queue.lastIndex() < 0 ? NO_RECORD : queue.lastIndex();
        budget = new DiskBudget(settings.dir(), settings.maxSize().toBytes(), GROWTH_RESERVE,
                settings.minFreeDisk().toBytes(), bytes);
    }

    /**
     * Appends one record and returns its index. Once this returns the record survives a crash of the process; see
     * {@link #awaitDurable()} for a crash of the node. When the journal is full this waits for room, or returns
     * {@link #DROPPED} if the policy is to drop. Room is checked under the append lock, so connections appending at
     * once cannot together pass the cap.
     */
    public long append(RecordMeta meta, byte[] buf, int off, int len) {
        long index;
        while (true) {
            synchronized (this) {
                if (queue == null) {
                    throw new JournalClosedException();
                }
                if (!budget.isFull(len + ENTRY_METADATA)) {
                    index = appendLocked(meta, buf, off, len);
                    break;
                }
            }
            if (!waitForRoom(len + ENTRY_METADATA)) {
                dropped.increment();
                return DROPPED;
            }
        }
        appended.incrementAndGet();
        return index;
    }

    private long appendLocked(RecordMeta meta, byte[] buf, int off, int len) {
        long receivedAt = System.currentTimeMillis();
        try (DocumentContext dc = appender.writingDocument()) {
            budget.appended(EntryCodec.write(dc.wire().bytes(), receivedAt, meta, buf, off, len));
        }
        long index = appender.lastIndexAppended();
        lastAppendedIndex = index;
        fileSync.written(appender.currentFile());
        appendedSeq++;
        if (settings.sync() == SyncPolicy.ALWAYS
                || (settings.sync() == SyncPolicy.BATCH && appendedSeq - syncedSeq >= settings.syncEvery())) {
            syncLocked();
        }
        return index;
    }

    /** Blocks while the journal has no room for an entry of {@code bytes}; false when the policy is to drop. */
    private boolean waitForRoom(long bytes) {
        if (settings.whenFull() == WhenFull.DROP) {
            return false;
        }
        synchronized (room) {
            while (queue != null && budget.isFull(bytes)) {
                try {
                    room.wait(HOUSEKEEPING_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for room in the journal", e);
                }
            }
        }
        return true;
    }

    /**
     * Returns once every record appended before the call is on disk, where the sync policy promises it: at once for
     * {@code none} (page cache only) and {@code always} (each append synced already); for {@code batch} the caller
     * syncs what is not synced yet. Callers that wait at the same time share one sync (a group commit): whoever gets
     * the lock next finds their records synced already.
     */
    public void awaitDurable() {
        if (settings.sync() != SyncPolicy.BATCH) {
            return;
        }
        synchronized (this) {
            if (syncedSeq < appendedSeq && queue != null) {
                syncLocked();
            }
        }
    }

    /** Forces every record appended so far onto the disk, so it survives a power loss too. */
    public synchronized void sync() {
        if (queue != null) {
            syncLocked();
        }
    }

    private void syncLocked() {
        fileSync.force();
        syncedSeq = appendedSeq;
        notifyAll();
    }

    private void syncIfBehind() {
        if (syncedSeq != appendedSeq()) {
            sync();
        }
    }

    private synchronized long appendedSeq() {
        return appendedSeq;
    }

    private void housekeeping() {
        try {
            deleteAcknowledgedFiles();
            budget.refresh(backlogRecords());
            synchronized (room) {
                room.notifyAll();
            }
        } catch (RuntimeException e) {
            log.warn("Journal housekeeping failed: {}", e.toString());
        }
    }

    /**
     * Deletes the files Kafka has no use for any more. When every record is acknowledged, the file being appended to
     * goes too once its cycle has ended: the next append starts a new one. That is done under the append lock, so no
     * append can be on its way into that file meanwhile.
     */
    private void deleteAcknowledgedFiles() {
        long acknowledged = acknowledgedIndex();
        if (acknowledged != NO_INDEX && acknowledged == lastAppendedIndex) {
            synchronized (this) {
                if (queue != null && acknowledged == lastAppendedIndex) {
                    acknowledgedFiles.delete(acknowledged, true);
                    return;
                }
            }
        }
        acknowledgedFiles.delete(acknowledged, false);
    }

    /** A reader that starts just after the last acknowledged record. Use it from one thread. */
    public JournalReader reader() {
        return new JournalReader(queue, journalId, this::acknowledgedIndex);
    }

    /**
     * Moves the acknowledged position to {@code index}; {@code count} records of {@code bytes} in all (their
     * {@link JournalEntry#size()}) were acknowledged since the previous call. Callers move it forward only over
     * records Kafka acknowledged, without gaps.
     */
    public void acknowledge(long index, int count, long bytes) {
        acknowledgedIndex.setOrderedValue(index);
        acknowledged.addAndGet(count);
        budget.acknowledged(bytes);
    }

    /** Index of the last acknowledged record, or {@link #NO_INDEX} when none is. */
    long acknowledgedIndex() {
        long index = acknowledgedIndex.getVolatileValue();
        return index <= 0 ? NO_INDEX : index;
    }

    /** Records appended since start. */
    public long appendedCount() {
        return appended.get();
    }

    /** Records acknowledged by Kafka since start. */
    public long acknowledgedCount() {
        return acknowledged.get();
    }

    /** Records in the journal that Kafka has not acknowledged yet, including those left by an earlier run. */
    public long backlogRecords() {
        return backlogAtStart + appended.get() - acknowledged.get();
    }

    /** Bytes of everything the journal has on disk, as last measured. */
    public long bytesOnDisk() {
        return budget == null ? 0 : budget.filesBytes();
    }

    /** Bytes of the records Kafka has not acknowledged. */
    public long backlogBytes() {
        return budget == null ? 0 : budget.backlogBytes();
    }

    /** The cap on the journal's files, in bytes. */
    public long maxBytes() {
        return settings.maxSize().toBytes();
    }

    /** True while the journal's files are at their cap, or records wait and the file system is nearly full. */
    public boolean isFull() {
        return budget != null && budget.isFull();
    }

    /** A roll cycle by name: Chronicle's usual ones, its legacy ones (MINUTELY), or its test ones (seconds long). */
    static RollCycle rollCycle(String name) {
        for (RollCycle[] cycles : new RollCycle[][] {RollCycles.values(), LegacyRollCycles.values(),
                TestRollCycles.values()}) {
            for (RollCycle cycle : cycles) {
                if (((Enum<?>) cycle).name().equals(name)) {
                    return cycle;
                }
            }
        }
        throw new IllegalArgumentException("exporter.journal.roll-cycle: unknown roll cycle '" + name
                + "'; use MINUTELY or one of " + java.util.Arrays.toString(RollCycles.values()));
    }

    private static String readOrCreateJournalId(Path file) throws IOException {
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
    }

    @Override
    public void stop() {
        if (housekeeping != null) {
            housekeeping.shutdownNow();
            housekeeping = null;
        }
        synchronized (this) {
            if (queue == null) {
                return;
            }
            if (settings.sync() != SyncPolicy.NONE) {
                syncLocked();
            }
            closeQuietly();
            lock.close();
            notifyAll();
        }
        synchronized (room) {
            room.notifyAll();
        }
        log.info("Journal closed: {} records wait for Kafka", backlogRecords());
    }

    private void closeQuietly() {
        fileSync.close();
        if (appender != null) {
            appender.close();
            appender = null;
        }
        if (queue != null) {
            queue.close();
            queue = null;
        }
    }

    @Override
    public boolean isRunning() {
        return queue != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
