package io.github.decisionlog.exporter.journal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.LoggerFactory;

/**
 * Failed fsyncs of the journal: counted ({@code decisionlog.journal.sync.failures}), logged once a minute at most, and
 * kept for health until a sync succeeds again.
 */
final class SyncFailures {

    private final Counter counter;
    private final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(Journal.class));
    private volatile boolean failing;
    private volatile String lastError;
    private volatile long lastFailureAtMillis;

    SyncFailures(MeterRegistry registry) {
        this.counter = Counter.builder("decisionlog.journal.sync.failures")
                .description("Syncs (fsync) of the journal that failed; each is tried again").register(registry);
    }

    void failed(RuntimeException e) {
        counter.increment();
        lastError = e.getMessage();
        lastFailureAtMillis = System.currentTimeMillis();
        failing = true;
        log.warn("Journal sync failed, records appended since the last sync may not survive a power loss; trying "
                + "again at the next sync: {}", e.getMessage());
    }

    void succeeded() {
        failing = false;
    }

    Journal.SyncStatus status() {
        return new Journal.SyncStatus(failing, (long) counter.count(), lastError, lastFailureAtMillis);
    }
}
