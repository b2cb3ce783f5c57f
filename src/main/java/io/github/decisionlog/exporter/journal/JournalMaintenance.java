package io.github.decisionlog.exporter.journal;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Journal.SyncPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What keeps the journal in shape while it runs, on one thread of its own: the batch sync timer, the deletion of files
 * whose records Kafka has all acknowledged, and the measuring of the disk budget (which wakes appends waiting for
 * room). Each task has its own error handling: a failure is logged (once a minute at most) and the task runs again at
 * its next tick; no failure cancels a task.
 */
final class JournalMaintenance {

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    static final long HOUSEKEEPING_MILLIS = 200;
    /** How long a stop waits for a running sync or deletion to end: a force is never interrupted. */
    private static final long STOP_WAIT_SECONDS = 30;

    private final JournalStore store;
    private final ExporterProperties.Journal settings;
    private final AcknowledgedFiles acknowledgedFiles;
    private final Runnable roomMade;
    private final RateLimitedLog deletionFailures = new RateLimitedLog(log);
    private final RateLimitedLog budgetFailures = new RateLimitedLog(log);
    private final RateLimitedLog syncErrors = new RateLimitedLog(log);
    private ScheduledExecutorService scheduler;

    JournalMaintenance(JournalStore store, ExporterProperties.Journal settings, Runnable roomMade) {
        this.store = store;
        this.settings = settings;
        this.roomMade = roomMade;
        this.acknowledgedFiles = new AcknowledgedFiles(store.queue(), settings.dir().resolve("queue"),
                settings.retention());
    }

    /** Deletes and measures once at once, then schedules the tasks. */
    void start() {
        housekeeping();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "journal-housekeeping"));
        scheduler.scheduleWithFixedDelay(this::housekeeping, HOUSEKEEPING_MILLIS, HOUSEKEEPING_MILLIS,
                TimeUnit.MILLISECONDS);
        if (settings.sync() == SyncPolicy.BATCH) {
            long interval = settings.syncInterval().toMillis();
            scheduler.scheduleWithFixedDelay(this::syncIfBehind, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    /** A failed sync is counted and logged by the store's {@link SyncFailures}; the next tick tries again. */
    private void syncIfBehind() {
        try {
            store.syncIfBehind();
        } catch (RuntimeException e) {
            // counted, logged and shown in health by SyncFailures
        } catch (Error e) {
            syncErrors.warn("Journal sync timer: {}", e.toString()); // never let it end the timer
        }
    }

    private void housekeeping() {
        try {
            deleteAcknowledgedFiles();
        } catch (RuntimeException | Error e) {
            deletionFailures.warn("Journal could not delete acknowledged files: {}", e.toString());
        }
        try {
            store.budget().refresh(store.backlogRecords());
        } catch (RuntimeException | Error e) {
            budgetFailures.warn("Journal could not measure its files: {}", e.toString());
        }
        roomMade.run();
    }

    /**
     * Deletes the files Kafka has no use for any more. When every record is acknowledged, the file being appended to
     * goes too once its cycle has ended: the next append starts a new one. That is done under the append lock, so no
     * append can be on its way into that file meanwhile.
     */
    private void deleteAcknowledgedFiles() {
        long acknowledged = store.acknowledgedIndex();
        if (acknowledged != Journal.NO_RECORD && acknowledged == store.lastAppendedIndex()
                && store.whileNothingWaits(acknowledged, () -> acknowledgedFiles.delete(acknowledged, true))) {
            return;
        }
        acknowledgedFiles.delete(acknowledged, false);
    }

    /** Stops the tasks, letting a running one end: an interrupted force would close the file's channel. */
    void stop() {
        if (scheduler == null) {
            return;
        }
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("Journal housekeeping did not end within {} s of the stop", STOP_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler = null;
    }
}
