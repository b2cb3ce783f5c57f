package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exporter per journal: a lock on {@code journal.lock} in the journal's directory, held while the journal is open.
 * Two exporters on one journal would both send its backlog and move one acknowledged position; that can happen when a
 * pod is replaced while the old one still drains and both mount the same volume. The second one waits.
 */
final class JournalLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JournalLock.class);
    private static final long RETRY_MILLIS = 250;

    private final FileChannel channel;
    private final FileLock lock;

    private JournalLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, waiting up to {@code timeout} while another process holds it. */
    static JournalLock acquire(Path dir, Duration timeout) {
        Path file = dir.resolve("journal.lock");
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean reported = false;
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while (true) {
                FileLock lock = tryLock(channel);
                if (lock != null) {
                    if (reported) {
                        log.info("Journal at {} is free now; opening it", dir);
                    }
                    return new JournalLock(channel, lock);
                }
                if (System.nanoTime() - deadline > 0) {
                    channel.close();
                    throw new IllegalStateException("exporter.journal.dir: another exporter has held the journal at "
                            + dir + " for " + timeout.toSeconds() + " s (exporter.journal.lock-timeout); two exporters "
                            + "must not share one journal");
                }
                if (!reported) {
                    log.warn("Another exporter holds the journal at {}; waiting up to {} s for it to stop", dir,
                            timeout.toSeconds());
                    reported = true;
                }
                sleep();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException heldInThisProcess) {
            return null;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the journal lock", e);
        }
    }

    @Override
    public void close() {
        try (channel) {
            lock.release();
        } catch (IOException e) {
            log.debug("Releasing the journal lock: {}", e.toString());
        }
    }
}
