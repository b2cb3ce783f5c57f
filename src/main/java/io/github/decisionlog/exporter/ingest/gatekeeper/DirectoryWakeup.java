package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the next listing: until a file appears in a watched directory (inotify, where the file system has it) or
 * the poll interval passes, whichever comes first. The poll is the fallback that always works: directories that do
 * not exist yet, are re-created, or live on a file system without notifications are still listed every interval.
 * A rename to {@code .log} shows up as a created entry.
 */
final class DirectoryWakeup implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DirectoryWakeup.class);

    private final WatchService watcher;
    private final Map<Path, WatchKey> keys = new HashMap<>();

    DirectoryWakeup() {
        WatchService w;
        try {
            w = FileSystems.getDefault().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            log.info("No file system notifications ({}); listing the export directories every poll interval",
                    e.toString());
            w = null;
        }
        this.watcher = w;
    }

    /** Watches {@code dir} if it exists and is not watched yet (or its watch ended because it was removed). */
    void watch(Path dir) {
        if (watcher == null) {
            return;
        }
        WatchKey key = keys.get(dir);
        if (key != null && key.isValid()) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            return;
        }
        try {
            keys.put(dir, dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE));
        } catch (IOException | ClosedWatchServiceException e) {
            log.debug("Cannot watch {}: {}; polling it", dir, e.toString());
        }
    }

    /** Returns when something was created in a watched directory, the timeout passed, or the wakeup was closed. */
    void await(Duration timeout) {
        if (watcher == null) {
            LockSupport.parkNanos(timeout.toNanos());
            return;
        }
        try {
            WatchKey key = watcher.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            while (key != null) {
                key.pollEvents();
                key.reset();
                key = watcher.poll();
            }
        } catch (ClosedWatchServiceException closed) {
            // stopping
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the watch; a thread waiting in {@link #await} returns at once. */
    @Override
    public void close() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
