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

    /** What became of one record: its fields once journaled, or why it was not. */
    public record Outcome(DecisionFields fields, RejectReason reason) {
        public boolean accepted() {
            return fields != null;
        }
    }

    /**
     * Checks and journals one record.
     *
     * @param recordId the source's stable id for the record, or {@code null} to derive one from the journal position
     * @param runId the audit run the record belongs to, or {@code null}
     * @return the record's fields once it is in the journal, or {@code null} if it was rejected or dropped
     */
    public DecisionFields accept(String source, byte[] buf, int off, int len, String recordId, String runId) {
        return offer(source, buf, off, len, recordId, runId).fields();
    }

    /** Like {@link #accept}, and says why a record was not taken. */
    public Outcome offer(String source, byte[] buf, int off, int len, String recordId, String runId) {
        Outcome checked = checked(source, buf, off, len);
        if (!checked.accepted()) {
            return checked;
        }
        DecisionFields fields = checked.fields();
        RecordMeta meta = new RecordMeta(source, recordId, fields.eventType(), fields.resourceKey(), runId);
        return append(meta, buf, off, len) ? new Outcome(fields, null) : new Outcome(null, RejectReason.JOURNAL_FULL);
    }

    /**
     * The first half of {@link #offer}, for a source that chooses the journal metadata from the record's fields:
     * counts the record as received and checks it.
     *
     * @return the record's fields, or {@code null} if it was rejected (counted and logged)
     */
    DecisionFields check(String source, byte[] buf, int off, int len) {
        return checked(source, buf, off, len).fields();
    }

    private Outcome checked(String source, byte[] buf, int off, int len) {
        counter("decisionlog.records.received", source, null).increment();
        try {
            return new Outcome(checker.check(buf, off, len), null);
        } catch (RecordChecker.Rejected e) {
            reject(source, e.reason, e.getMessage());
            return new Outcome(null, e.reason);
        }
    }

    /**
     * The second half of {@link #offer}: journals a record that {@link #check} passed.
     *
     * @return false if the journal was full and dropped it (only with {@code exporter.journal.when-full=drop})
     */
    boolean append(RecordMeta meta, byte[] buf, int off, int len) {
        if (journal.append(meta, buf, off, len) == Journal.DROPPED) {
            rejectLog.warn("dropped", "Dropped a record from {}: the journal is full (exporter.journal.when-full=drop)",
                    meta.source());
            return false;
        }
        counter("decisionlog.records.appended", meta.source(), null).increment();
        return true;
    }

    /** Returns once what was accepted so far is as durable as {@code exporter.journal.sync} promises. */
    public void awaitDurable() {
        journal.awaitDurable();
    }

    /**
     * Creates a source's counters at zero, so that dashboards and alert rules see the series before the first event.
     */
    public void registerSource(String source) {
        counter("decisionlog.records.received", source, null);
        counter("decisionlog.records.appended", source, null);
        for (RejectReason reason : RejectReason.values()) {
            if (reason != RejectReason.JOURNAL_FULL) {
                counter("decisionlog.records.rejected", source, reason);
            }
        }
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
