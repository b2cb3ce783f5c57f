package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's cap on disk: everything in the journal's directory (cycle files whether acknowledged or not, the
 * metadata file, the journal id) stays under {@code max-size}, because in a pod the journal's volume has a
 * {@code sizeLimit} and the kubelet evicts the pod, journal and all, when the volume passes it.
 * <p>
 * Files are measured as {@code du} measures them ({@link FileBlocks}). Between two measurements every appended byte
 * is counted as taking new space, and a reserve is kept for what the estimate cannot see. When that estimate reaches
 * the cap the files are measured again before the journal counts as full, so the estimate errs only near the cap and
 * only towards caution.
 * <p>
 * Free space of the file system is checked too: writing a memory-mapped journal file on a full file system kills the
 * process instead of failing the write.
 */
final class DiskBudget {

    private static final Logger log = LoggerFactory.getLogger(DiskBudget.class);
    private static final RateLimitedLog freeSpaceFailures = new RateLimitedLog(log);
    /** Measuring again on every append near the cap would be a directory walk per record. */
    private static final long REMEASURE_NANOS = 1_000_000;

    private final Path journalDir;
    private final long capBytes;
    private final long reserveBytes;
    private final long minFreeBytes;
    private final AtomicLong backlogBytes = new AtomicLong();
    private final AtomicLong appendedSinceMeasured = new AtomicLong();
    private volatile long filesBytes;
    private volatile boolean diskLow;
    private volatile long refusedBytes = -1; // the size of a record that found no room since the last append
    private long measuredAt; // guarded by this
    private boolean reportedFull; // housekeeping thread only

    DiskBudget(Path journalDir, long capBytes, long reserveBytes, long minFreeBytes, long backlogBytesAtStart) {
        this.journalDir = journalDir;
        this.capBytes = capBytes;
        this.reserveBytes = reserveBytes;
        this.minFreeBytes = minFreeBytes;
        this.backlogBytes.set(backlogBytesAtStart);
        measure();
    }

    void appended(long bytes) {
        refusedBytes = -1;
        backlogBytes.addAndGet(bytes);
        appendedSinceMeasured.addAndGet(bytes);
    }

    void acknowledged(long bytes) {
        backlogBytes.addAndGet(-bytes);
    }

    /** True while the journal has no room for an entry of {@code bytes}; measures again when only the estimate says so. */
    boolean isFull(long bytes) {
        if (!overCap(bytes) && !(diskLow && backlogBytes.get() > 0)) {
            return false;
        }
        synchronized (this) {
            if (System.nanoTime() - measuredAt > REMEASURE_NANOS) {
                measure();
            }
        }
        boolean full = overCap(bytes) || (diskLow && backlogBytes.get() > 0);
        if (full) {
            refusedBytes = bytes;
        }
        return full;
    }

    /** Whether {@code bytes} more fit, by the last measurement and without measuring or counting a refusal. */
    boolean hasRoomFor(long bytes) {
        return !overCap(bytes) && !diskLow;
    }

    /**
     * True while a record that found no room (and none was appended since) still would not fit, or the files are at
     * the cap, or the disk is nearly full and records wait for Kafka. A nearly full disk with nothing waiting holds only acknowledged records, which
     * the journal deletes once their cycle has ended.
     */
    boolean isFull() {
        long refused = refusedBytes;
        return (refused >= 0 && overCap(refused)) || overCap(0) || (diskLow && backlogBytes.get() > 0);
    }

    private boolean overCap(long bytes) {
        return filesBytes + appendedSinceMeasured.get() + bytes + reserveBytes >= capBytes;
    }

    /** Measures the files and the free space, and logs when the journal becomes full or has room again. */
    void refresh(long backlogRecords) {
        synchronized (this) {
            measure();
        }
        boolean full = isFull();
        if (full && !reportedFull) {
            log.warn("Journal full: its files take {} MiB of the {} MiB cap (exporter.journal.max-size, {} MiB kept "
                    + "for the files' next growth), {} MiB of records and {} records wait for Kafka; "
                    + "{} MiB free on disk (minimum {} MiB); new records wait until Kafka acknowledges older ones and "
                    + "their files are deleted", mib(filesBytes), mib(capBytes), mib(reserveBytes),
                    mib(backlogBytes.get()), backlogRecords, mib(usableSpace()), mib(minFreeBytes));
        } else if (!full && reportedFull) {
            log.info("Journal has room again: its files take {} MiB of the {} MiB cap, {} MiB of records wait for Kafka",
                    mib(filesBytes), mib(capBytes), mib(backlogBytes.get()));
        }
        reportedFull = full;
    }

    /** Callers hold this object's lock. */
    private void measure() {
        long pending = appendedSinceMeasured.get();
        filesBytes = FileBlocks.underDirectory(journalDir);
        appendedSinceMeasured.addAndGet(-pending); // appends during the walk stay counted
        diskLow = usableSpace() < minFreeBytes;
        measuredAt = System.nanoTime();
    }

    private long usableSpace() {
        try {
            return Files.getFileStore(journalDir).getUsableSpace();
        } catch (IOException e) {
            freeSpaceFailures.warn("Cannot read the free space of {}: {}", journalDir, e.toString());
            return Long.MAX_VALUE;
        }
    }

    long backlogBytes() {
        return backlogBytes.get();
    }

    long filesBytes() {
        return filesBytes;
    }

    long capBytes() {
        return capBytes;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
