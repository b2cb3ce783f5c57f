package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.github.decisionlog.exporter.ExporterProperties;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The one place a record lives between "accepted" and "acknowledged by Kafka": a Chronicle Queue on local disk and
 * the acknowledged position, which is kept apart from any tailer (a named tailer moves when it reads, not when Kafka
 * acknowledges) and persisted in the queue's metadata file.
 */
@Component
public class Journal implements SmartLifecycle {

    /** Opened first and closed last: sources and the publisher both need it. */
    public static final int PHASE = 0;

    static final long NO_INDEX = Long.MIN_VALUE;

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final String ACKNOWLEDGED_ID = "acknowledged";

    private final ExporterProperties.Journal settings;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();

    private volatile SingleChronicleQueue queue;
    private ExcerptAppender appender;
    private LongValue acknowledgedIndex;
    private String journalId;
    private volatile long backlogAtStart;
    private int lastCleanedCycle = Integer.MIN_VALUE;

    public Journal(ExporterProperties properties) {
        this.settings = properties.journal();
    }

    @Override
    public synchronized void start() {
        Path dir = settings.dir();
        try {
            Files.createDirectories(dir);
            journalId = readOrCreateJournalId(dir.resolve("journal.id"));
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot use " + dir + ": " + e.getMessage(), e);
        }
        queue = SingleChronicleQueueBuilder.binary(dir.resolve("queue"))
                .rollCycle(rollCycle(settings.rollCycle()))
                .syncMode(SyncMode.SYNC) // what sync() does; appends themselves do not wait for the disk
                .build();
        appender = queue.createAppender();
        appender.singleThreadedCheckDisabled(true); // appends from many connections, serialised by this object
        acknowledgedIndex = queue.indexForId(ACKNOWLEDGED_ID);
        backlogAtStart = countAfter(acknowledgedIndex());
        deleteAcknowledgedFiles();
        log.info("Journal {} opened at {}: {} records wait for Kafka", journalId, dir, backlogAtStart);
    }

    /**
     * Appends one record and returns its index. Once this returns the record survives a crash of the process.
     */
    public synchronized long append(RecordMeta meta, byte[] buf, int off, int len) {
        long receivedAt = System.currentTimeMillis();
        try (DocumentContext dc = appender.writingDocument()) {
            EntryCodec.write(dc.wire().bytes(), receivedAt, meta, buf, off, len);
        }
        appended.incrementAndGet();
        return appender.lastIndexAppended();
    }

    /**
     * Forces every record appended so far onto the disk (msync), so it survives a power loss too. Sources that
     * delete their input once it is journaled call this first.
     */
    public synchronized void sync() {
        appender.sync();
    }

    /** A reader that starts just after the last acknowledged record. Use it from one thread. */
    public JournalReader reader() {
        return new JournalReader(queue, journalId, this::acknowledgedIndex);
    }

    /**
     * Moves the acknowledged position to {@code index}; {@code count} records were acknowledged since the previous
     * call. Callers move it forward only over records Kafka acknowledged, without gaps.
     */
    public void acknowledge(long index, int count) {
        acknowledgedIndex.setOrderedValue(index);
        acknowledged.addAndGet(count);
        if (queue.rollCycle().toCycle(index) > lastCleanedCycle) {
            deleteAcknowledgedFiles();
        }
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

    /** Bytes of the journal's files on disk. */
    public long bytesOnDisk() {
        try (var files = Files.list(settings.dir().resolve("queue"))) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private long countAfter(long index) {
        long last = queue.lastIndex();
        if (last < 0 || last == NO_INDEX) {
            return 0;
        }
        if (index == NO_INDEX) {
            return queue.countExcerpts(queue.firstIndex(), last) + 1;
        }
        return queue.countExcerpts(index, last);
    }

    /**
     * Deletes the journal files of cycles wholly before the one that holds the acknowledged position. Cycle file names
     * are dates from the most significant field down, so name order is cycle order.
     */
    private void deleteAcknowledgedFiles() {
        long ack = acknowledgedIndex();
        if (ack == NO_INDEX) {
            return;
        }
        int ackCycle = queue.rollCycle().toCycle(ack);
        String ackFile = cycleFileName(ackCycle);
        try (var files = Files.list(settings.dir().resolve("queue"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith(SingleChronicleQueue.SUFFIX) && name.compareTo(ackFile) < 0) {
                    Files.deleteIfExists(file);
                    log.debug("Deleted acknowledged journal file {}", file);
                }
            }
        } catch (IOException e) {
            log.warn("Could not delete acknowledged journal files: {}", e.toString());
            return;
        }
        queue.refreshDirectoryListing();
        lastCleanedCycle = ackCycle;
    }

    private String cycleFileName(int cycle) {
        var rollCycle = queue.rollCycle();
        var format = DateTimeFormatter.ofPattern(rollCycle.format()).withZone(ZoneOffset.UTC);
        return format.format(Instant.ofEpochMilli(cycle * (long) rollCycle.lengthInMillis() + queue.epoch()))
                + SingleChronicleQueue.SUFFIX;
    }

    /** A roll cycle by name: Chronicle's usual ones, or its test ones (seconds long) for tests. */
    static RollCycle rollCycle(String name) {
        for (RollCycle[] cycles : new RollCycle[][] {RollCycles.values(), TestRollCycles.values()}) {
            for (RollCycle cycle : cycles) {
                if (((Enum<?>) cycle).name().equals(name)) {
                    return cycle;
                }
            }
        }
        throw new IllegalArgumentException("exporter.journal.roll-cycle: unknown roll cycle '" + name
                + "'; use one of " + java.util.Arrays.toString(RollCycles.values()));
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
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    @Override
    public synchronized void stop() {
        if (queue != null) {
            appender.close();
            queue.close();
            queue = null;
            log.info("Journal closed: {} records wait for Kafka", backlogRecords());
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
