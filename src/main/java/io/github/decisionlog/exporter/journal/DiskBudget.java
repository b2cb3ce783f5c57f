package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's budget: the bytes of records Kafka has not acknowledged, kept exactly as records come and go, and
 * the free space of the journal's file system, measured a few times a second off the hot path. The budget counts
 * unacknowledged records rather than file sizes because acknowledged records can only leave with their whole file,
 * at the end of its roll cycle: a full budget must always be curable by Kafka catching up. Free space is checked
 * because writing a memory-mapped journal file on a full file system kills the process instead of failing the write.
 */
final class DiskBudget {

    private static final Logger log = LoggerFactory.getLogger(DiskBudget.class);

    private final Path queueDir;
    private final long maxBytes;
    private final long minFreeBytes;
    private final AtomicLong backlogBytes = new AtomicLong();
    private volatile long filesBytes;
    private volatile boolean diskLow;
    private boolean reportedFull; // housekeeping thread only

    DiskBudget(Path queueDir, long maxBytes, long minFreeBytes, long backlogBytesAtStart) {
        this.queueDir = queueDir;
        this.maxBytes = maxBytes;
        this.minFreeBytes = minFreeBytes;
        this.backlogBytes.set(backlogBytesAtStart);
    }

    void appended(long bytes) {
        backlogBytes.addAndGet(bytes);
    }

    void acknowledged(long bytes) {
        backlogBytes.addAndGet(-bytes);
    }

    /**
     * True while unacknowledged records fill the budget, or the disk is nearly full and records wait for Kafka.
     * Cheap: read on every append. A nearly full disk with nothing waiting holds only acknowledged records, which
     * leave with their file when the next roll cycle starts; blocking then would wait for a roll that only an append
     * can bring, for good.
     */
    boolean isFull() {
        long waiting = backlogBytes.get();
        return waiting >= maxBytes || (diskLow && waiting > 0);
    }

    /** Measures the files and the free space, and logs when the journal becomes full or has room again. */
    void refresh(long backlogRecords) {
        long files = 0;
        long free;
        try (var list = Files.list(queueDir)) {
            for (Path f : (Iterable<Path>) list::iterator) {
                files += f.toFile().length();
            }
            free = Files.getFileStore(queueDir).getUsableSpace();
        } catch (IOException e) {
            log.warn("Cannot measure the journal at {}: {}", queueDir, e.toString());
            return;
        }
        filesBytes = files;
        diskLow = free < minFreeBytes;
        boolean full = isFull();
        if (full && !reportedFull) {
            log.warn("Journal full: {} MiB of records wait for Kafka (budget {} MiB), {} MiB free on disk (minimum "
                    + "{} MiB), {} records; new records wait until Kafka acknowledges older ones",
                    mib(backlogBytes.get()), mib(maxBytes), mib(free), mib(minFreeBytes), backlogRecords);
        } else if (!full && reportedFull) {
            log.info("Journal has room again: {} MiB of records wait for Kafka (budget {} MiB), {} MiB free on disk",
                    mib(backlogBytes.get()), mib(maxBytes), mib(free));
        }
        reportedFull = full;
    }

    long backlogBytes() {
        return backlogBytes.get();
    }

    long filesBytes() {
        return filesBytes;
    }

    long maxBytes() {
        return maxBytes;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
