package io.github.decisionlog.exporter.ingest;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * The step every source shares: check a framed record, append it to the journal, and count what happened. A rejected
 * record is counted by reason and logged at a limited rate; it never stops the source.
 */
@Component
public class Intake {

    private static final Logger log = LoggerFactory.getLogger(Intake.class);

    private final Journal journal;
    private final MeterRegistry registry;
    private final RecordChecker checker = new RecordChecker();
    private final RateLimitedLog rejectLog = new RateLimitedLog(log, Duration.ofSeconds(10));
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

    public Intake(Journal journal, MeterRegistry registry) {
        this.journal = journal;
        this.registry = registry;
    }

    /**
     * Checks and journals one record.
     *
     * @param recordId the source's stable id for the record, or {@code null} to derive one from the journal position
     * @param runId the audit run the record belongs to, or {@code null}
     * @return the record's fields once it is in the journal, or {@code null} if it was rejected
     */
    public DecisionFields accept(String source, byte[] buf, int off, int len, String recordId, String runId) {
        DecisionFields fields = check(source, buf, off, len);
        if (fields != null) {
            append(new RecordMeta(source, recordId, fields.eventType(), fields.resourceKey(), runId), buf, off, len);
        }
        return fields;
    }

    /**
     * The first half of {@link #accept}, for a source that chooses the journal metadata from the record's fields:
     * counts the record as received and checks it.
     *
     * @return the record's fields, or {@code null} if it was rejected (counted and logged)
     */
    DecisionFields check(String source, byte[] buf, int off, int len) {
        counter("decisionlog.records.received", source, null).increment();
        try {
            return checker.check(buf, off, len);
        } catch (RecordChecker.Rejected e) {
            reject(source, e.reason, e.getMessage());
            return null;
        }
    }

    /** The second half of {@link #accept}: journals a record that {@link #check} passed. */
    void append(RecordMeta meta, byte[] buf, int off, int len) {
        journal.append(meta, buf, off, len);
        counter("decisionlog.records.appended", meta.source(), null).increment();
    }

    /** Counts and logs a record that was refused before it could be checked, such as an over-long line. */
    public void reject(String source, RejectReason reason, String detail) {
        if (reason == RejectReason.TOO_LARGE) {
            counter("decisionlog.records.received", source, null).increment();
        }
        counter("decisionlog.records.rejected", source, reason).increment();
        rejectLog.warn(source + reason, "Rejected a record from {}: {} ({})", source, reason.tag(), detail);
    }

    private Counter counter(String name, String source, RejectReason reason) {
        String key = name + '|' + source + '|' + reason;
        return counters.computeIfAbsent(key, k -> {
            Counter.Builder builder = Counter.builder(name).tag("source", source);
            if (reason != null) {
                builder.tag("reason", reason.tag());
            }
            return builder.register(registry);
        });
    }
}
