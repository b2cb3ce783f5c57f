package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures a directory as {@code du} does (blocks in use, in bytes) over and over on a thread of its own, and keeps the
 * largest figure: what an emptyDir's {@code sizeLimit} is checked against.
 */
final class DiskUsageSampler implements AutoCloseable {

    private final Path dir;
    private final AtomicLong largest = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    DiskUsageSampler(Path dir) {
        this.dir = dir;
        this.thread = new Thread(this::run, "du-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            long used = du(dir);
            if (used >= 0) {
                largest.accumulateAndGet(used, Math::max);
                samples.incrementAndGet();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** {@code du -s --block-size=1 dir}, or -1 when du fails (a file vanished while it walked). */
    static long du(Path dir) {
        try {
            Process du = new ProcessBuilder("du", "-s", "--block-size=1", dir.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return du.waitFor() == 0 ? Long.parseLong(out.split("\\s+")[0]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    long largest() {
        return largest.get();
    }

    long samples() {
        return samples.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
