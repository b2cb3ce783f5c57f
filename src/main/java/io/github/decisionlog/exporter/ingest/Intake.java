package io.github.decisionlog.exporter.ingest;

import io.github.decisionlog.exporter.ingest.check.DecisionFields;
import io.github.decisionlog.exporter.ingest.check.RecordChecker;
import io.github.decisionlog.exporter.ingest.check.RecordFilter;
import io.github.decisionlog.exporter.ingest.check.RedactionRules;
import io.github.decisionlog.exporter.ingest.check.RedactionScan;
import io.github.decisionlog.exporter.ingest.check.Redactor;
import io.github.decisionlog.exporter.ingest.check.RejectReason;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * The step every source shares: check a framed record, filter it, redact it, append it to the journal, and count what
 * happened. A rejected record is counted by reason and logged at a limited rate; it never stops the source. With a
 * rejects topic, a rejected record is journaled too, raw, so that it reaches that topic.
 */
@Component
public class Intake {

    private static final Logger log = LoggerFactory.getLogger(Intake.class);

    private final Channel channel;
    private final MeterRegistry registry;
    private final RecordChecker checker;
    private final RecordFilter filter;
    private final Redactor redactor;
    private final boolean journalRejects;
    private final ThreadLocal<RedactionScan> scans = ThreadLocal.withInitial(RedactionScan::new);
    private final RateLimitedLog rejectLog = new RateLimitedLog(log, Duration.ofSeconds(10));
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, SourceCounters> perSource = new ConcurrentHashMap<>();
    private final Function<String, SourceCounters> newSourceCounters = s -> new SourceCounters(
            counter("decisionlog.records.received", s, null, null),
            counter("decisionlog.records.appended", s, null, null));

    /** The counters every record of a source touches, found with one lookup instead of building keys per record. */
    private record SourceCounters(Counter received, Counter appended) {
    }

    public Intake(Channel channel, MeterRegistry registry, ExporterProperties properties) {
        this.channel = channel;
        this.registry = registry;
        this.checker = new RecordChecker(new RedactionRules(properties.redact()));
        this.filter = new RecordFilter(properties.filter());
        this.redactor = new Redactor(properties.redact());
        this.journalRejects = !properties.publish().rejectsTopic().isBlank();
    }

    /**
     * What became of one record: its fields once journaled; its fields and {@code filtered} when a filter dropped it
     * (which is not a refusal: the record is taken care of); or why it was refused.
     */
    public record Outcome(DecisionFields fields, RejectReason reason, boolean filtered) {
        public Outcome(DecisionFields fields, RejectReason reason) {
            this(fields, reason, false);
        }

        /** True once the record is in the journal. */
        public boolean accepted() {
            return fields != null && !filtered;
        }

        /** True if the record was refused: a producer should hear about it. */
        public boolean refused() {
            return reason != null;
        }
    }

    /**
     * How a source names a record in the journal: its event type, the keys {@code exporter.publish.key} chooses from
     * when the record is published, and its run.
     */
    public record Label(String eventType, String resourceKey, String constraintKey, String runId) {
    }

    /**
     * Decides, from a checked record's fields, how it is journaled; returns {@code null} to leave the record out (it
     * is then taken care of, like a filtered one). A source with no special records uses {@link #plain(String)}.
     */
    @FunctionalInterface
    public interface Labeler {
        Label label(DecisionFields fields);
    }

    /** The record's own event type and keys, and the given run id. */
    public static Labeler plain(String runId) {
        return fields -> new Label(fields.eventType(), fields.resourceKey(), fields.constraintKey(), runId);
    }

    /**
     * Checks, labels, filters, redacts and journals one record, and says what became of it.
     *
     * @param recordId the source's stable id for the record, or {@code null} to derive one from the journal position
     */
    public Outcome offer(String source, byte[] buf, int off, int len, String recordId, Labeler labeler) {
        SourceCounters sourceCounters = perSource.computeIfAbsent(source, newSourceCounters);
        sourceCounters.received().increment();
        RedactionScan scan = scans.get();
        DecisionFields fields;
        try {
            fields = checker.check(buf, off, len, scan);
        } catch (RecordChecker.Rejected e) {
            refuse(source, e.reason, e.getMessage(), recordId, buf, off, len);
            return new Outcome(null, e.reason);
        }
        Label label = labeler.label(fields);
        if (label == null) {
            return new Outcome(fields, null, true);
        }
        String dropped = filter.dropReason(fields);
        if (dropped != null) {
            counter("decisionlog.records.filtered", source, "reason", dropped).increment();
            return new Outcome(fields, null, true);
        }
        int redacted = 0;
        if (scan.matched()) {
            Redactor.Redacted r = redactor.apply(buf, off, len, scan);
            buf = r.bytes();
            off = 0;
            len = r.length();
            redacted = r.count();
            counter("decisionlog.records.redacted", source, null, null).increment();
        }
        RecordMeta meta = new RecordMeta(source, recordId, label.eventType(), label.resourceKey(),
                label.constraintKey(), label.runId(), null, redacted);
        if (!append(source, meta, buf, off, len)) {
            return new Outcome(null, RejectReason.JOURNAL_FULL);
        }
        sourceCounters.appended().increment();
        return new Outcome(fields, null);
    }

    private boolean append(String source, RecordMeta meta, byte[] buf, int off, int len) {
        if (!channel.append(meta, buf, off, len)) {
            rejectLog.warn("dropped", "Dropped a record from {}: the journal is full (exporter.journal.when-full=drop)",
                    source);
            return false;
        }
        return true;
    }

    /** Returns once what was accepted so far is as durable as {@code exporter.journal.sync} promises. */
    public void awaitDurable() {
        channel.awaitDurable();
    }

    /** Forces what was accepted so far onto the disk, whatever the sync setting: before a source deletes its input. */
    public void forceToDisk() {
        channel.forceToDisk();
    }

    /**
     * Creates a source's counters at zero, so that dashboards and alert rules see the series before the first event.
     */
    public void registerSource(String source) {
        perSource.computeIfAbsent(source, newSourceCounters);
        counter("decisionlog.records.redacted", source, null, null);
        for (String reason : RecordFilter.REASONS) {
            counter("decisionlog.records.filtered", source, "reason", reason);
        }
        for (RejectReason reason : RejectReason.values()) {
            if (reason != RejectReason.JOURNAL_FULL) {
                counter("decisionlog.records.rejected", source, "reason", reason.tag());
            }
        }
    }

    /**
     * Counts and logs a record that was refused before it could be checked, such as an over-long one, with its bytes
     * (for an over-long record, its first max-record-size bytes): with a rejects topic they are journaled for it.
     */
    public void reject(String source, RejectReason reason, String detail, byte[] buf, int off, int len) {
        if (reason == RejectReason.TOO_LARGE) {
            counter("decisionlog.records.received", source, null, null).increment();
        }
        refuse(source, reason, detail, null, buf, off, len);
    }

    private void refuse(String source, RejectReason reason, String detail, String recordId, byte[] buf, int off,
            int len) {
        count(source, reason, detail);
        if (journalRejects) {
            append(source, RecordMeta.rejected(source, recordId, reason.tag()), buf, off, len);
        }
    }

    private void count(String source, RejectReason reason, String detail) {
        counter("decisionlog.records.rejected", source, "reason", reason.tag()).increment();
        rejectLog.warn(source + reason, "Rejected a record from {}: {} ({})", source, reason.tag(), detail);
    }

    private Counter counter(String name, String source, String tag, String value) {
        String key = name + '|' + source + '|' + value;
        return counters.computeIfAbsent(key, k -> {
            Counter.Builder builder = Counter.builder(name).tag("source", source);
            if (tag != null) {
                builder.tag(tag, value);
            }
            return builder.register(registry);
        });
    }
}
