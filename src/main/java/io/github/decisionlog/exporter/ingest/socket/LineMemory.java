package io.github.decisionlog.exporter.ingest.socket;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The heap that long lines may take, shared by every connection of the socket source. A line that outgrows one read
 * takes a share of {@code max-record-size} before it is gathered, and gives it back once it has been checked and
 * journaled (or rejected); a connection that finds no room waits, and so reads nothing more from its producer:
 * back-pressure, never an error. Taking a whole share at once means no connection holds part of the budget while it
 * waits for more, so connections cannot wait on each other for ever.
 */
final class LineMemory {

    private static final int KIB = 1024;

    private final Semaphore kib;
    private final int shareKib;

    /**
     * @param totalBytes the budget; at least {@code shareBytes}
     * @param shareBytes what one long line takes: the longest line that is gathered
     */
    LineMemory(long totalBytes, int shareBytes) {
        this.shareKib = (shareBytes + KIB - 1) / KIB;
        int total = (int) Math.min(Integer.MAX_VALUE, totalBytes / KIB);
        if (total < shareKib) {
            throw new IllegalArgumentException("a line memory of " + totalBytes + " bytes cannot hold a line of "
                    + shareBytes + " bytes");
        }
        this.kib = new Semaphore(total, true);
    }

    /**
     * Waits for one line's share, for at most {@code timeoutMillis}.
     *
     * @return whether it was taken
     */
    boolean take(long timeoutMillis) throws InterruptedException {
        return kib.tryAcquire(shareKib, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    void giveBack() {
        kib.release(shareKib);
    }

    /** Bytes not taken now. */
    long availableBytes() {
        return (long) kib.availablePermits() * KIB;
    }
}
