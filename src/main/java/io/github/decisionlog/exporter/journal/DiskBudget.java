package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the journal against its byte budget and the free space of its file system. Measured off the hot path, a
 * few times a second; appends only read the resulting flag. Free space is checked too because writing a memory-mapped
 * journal file on a full file system kills the process instead of failing the write.
 */
final class DiskBudget {

    private static final Logger log = LoggerFactory.getLogger(DiskBudget.class);

    private final Path queueDir;
    private final long maxBytes;
    private final long minFreeBytes;
    private volatile long usedBytes;
    private volatile boolean full;

    DiskBudget(Path queueDir, long maxBytes, long minFreeBytes) {
        this.queueDir = queueDir;
        this.maxBytes = maxBytes;
        this.minFreeBytes = minFreeBytes;
    }

    /** Measures again; returns true when the journal went from full to not full. */
    boolean refresh(long backlogRecords) {
        long used = 0;
        long free;
        try (var files = Files.list(queueDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                used += f.toFile().length();
            }
            free = Files.getFileStore(queueDir).getUsableSpace();
        } catch (IOException e) {
            log.warn("Cannot measure the journal at {}: {}", queueDir, e.toString());
            return false;
        }
        usedBytes = used;
        boolean nowFull = used >= maxBytes || free < minFreeBytes;
        if (nowFull && !full) {
            log.warn("Journal full: {} MiB used of a {} MiB budget, {} MiB free on disk (minimum {} MiB); {} records "
                    + "wait for Kafka; new records wait until Kafka acknowledges older ones",
                    mib(used), mib(maxBytes), mib(free), mib(minFreeBytes), backlogRecords);
        } else if (!nowFull && full) {
            log.info("Journal has room again: {} MiB used of {} MiB, {} MiB free on disk", mib(used), mib(maxBytes),
                    mib(free));
        }
        boolean cleared = full && !nowFull;
        full = nowFull;
        return cleared;
    }

    boolean isFull() {
        return full;
    }

    long usedBytes() {
        return usedBytes;
    }

    long maxBytes() {
        return maxBytes;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
