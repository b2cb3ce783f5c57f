package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Publish.HeaderStyle;
import io.github.decisionlog.exporter.ExporterProperties.Publish.KeyStrategy;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.RecordMeta;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Turns a journal entry into the Kafka record consumers see: the bytes as received (after redaction), a key, and
 * headers, either the plain ones or CloudEvents binary mode. A record refused at ingest goes to the rejects topic.
 * Used from the publisher's thread only. Header values are shared between records: the Kafka client only reads them.
 */
final class KafkaRecords {

    /** The stable record id; the same for every copy of a record, so consumers can drop duplicates. */
    static final String RECORD_ID = "record_id";
    /**
     * The record's {@code eventType}, when it has one; {@code audit_started} and {@code audit_completed} for the
     * control lines that open and close a Gatekeeper audit run (they have no {@code eventType} of their own).
     */
    static final String EVENT_TYPE = "event_type";
    /** Where the exporter got the record: {@code socket}, {@code datagram}, {@code audit}, {@code admission}. */
    static final String SOURCE = "source";
    /** When the exporter accepted the record, RFC 3339 in UTC. */
    static final String RECEIVED_AT = "received_at";
    /** The Gatekeeper audit run the record belongs to, when it has one. */
    static final String RUN_ID = "run_id";
    /** How many values redaction erased or masked; only on records it changed. */
    static final String REDACTED = "redacted";
    /** Why the exporter refused the record at ingest; only on the rejects topic. */
    static final String REJECT_REASON = "reject_reason";

    /** The CloudEvents type of a record without an event type, such as an audit run's first and last line. */
    static final String CE_TYPE_UNTYPED = "sh.gatekeeper.record";
    /** The CloudEvents type of a record refused at ingest. */
    static final String CE_TYPE_REJECTED = "io.github.decisionlog.rejected";
    static final String CE_TYPE_PREFIX = "sh.gatekeeper.";

    private final String topic;
    private final String rejectsTopic;
    private final KeyStrategy keyStrategy;
    private final boolean cloudEvents;
    private final String ceSource;
    /** Header values that recur from record to record, encoded once; publisher thread only. */
    private final Map<String, byte[]> recurring = new HashMap<>();
    private long timeMillis = Long.MIN_VALUE;
    private byte[] timeBytes;

    KafkaRecords(ExporterProperties.Publish settings) {
        this.topic = settings.topic();
        this.rejectsTopic = settings.rejectsTopic();
        this.keyStrategy = settings.key();
        this.cloudEvents = settings.headers() == HeaderStyle.CLOUDEVENTS;
        this.ceSource = settings.ceSource();
    }

    /** The record for its topic; {@code null} for a refused record when no rejects topic is set (any longer). */
    ProducerRecord<byte[], byte[]> toRecord(JournalEntry entry) {
        if (entry.meta().rejectReason() != null) {
            return rejectsTopic.isBlank() ? null : toRecord(entry, rejectsTopic);
        }
        return toRecord(entry, topic);
    }

    ProducerRecord<byte[], byte[]> toRecord(JournalEntry entry, String topic) {
        RecordMeta meta = entry.meta();
        RecordHeaders headers = cloudEvents ? cloudEventHeaders(entry) : plainHeaders(entry);
        if (meta.rejectReason() != null) {
            headers.add(REJECT_REASON, utf8(meta.rejectReason()));
        }
        return new ProducerRecord<>(topic, null, key(entry), entry.payload(), headers);
    }

    private byte[] key(JournalEntry entry) {
        if (entry.meta().rejectReason() != null) {
            return null;
        }
        return switch (keyStrategy) {
            case RECORD_ID -> utf8(entry.recordId());
            case NONE -> null;
            case RESOURCE -> utf8OrNull(entry.meta().resourceKey());
            case CONSTRAINT -> utf8OrNull(entry.meta().constraintKey());
        };
    }

    private RecordHeaders plainHeaders(JournalEntry entry) {
        RecordMeta meta = entry.meta();
        RecordHeaders headers = new RecordHeaders();
        headers.add(RECORD_ID, utf8(entry.recordId()));
        if (meta.eventType() != null) {
            headers.add(EVENT_TYPE, recurring(meta.eventType()));
        }
        headers.add(SOURCE, recurring(meta.source()));
        headers.add(RECEIVED_AT, time(entry.receivedAtMillis()));
        if (meta.runId() != null) {
            headers.add(RUN_ID, utf8(meta.runId()));
        }
        if (meta.redacted() > 0) {
            headers.add(REDACTED, utf8(Integer.toString(meta.redacted())));
        }
        return headers;
    }

    /**
     * CloudEvents 1.0 Kafka protocol binding, binary mode: the attributes are {@code ce_}-prefixed headers and the
     * value is the event data. Extension attribute names allow only lower-case letters and digits.
     */
    private RecordHeaders cloudEventHeaders(JournalEntry entry) {
        RecordMeta meta = entry.meta();
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_specversion", recurring("1.0"));
        headers.add("ce_id", utf8(entry.recordId()));
        headers.add("ce_source", recurring(ceSource.replace("{source}", meta.source())));
        headers.add("ce_type", recurring(ceType(meta)));
        headers.add("ce_time", time(entry.receivedAtMillis()));
        headers.add("content-type",
                recurring(meta.rejectReason() != null ? "application/octet-stream" : "application/json"));
        if (meta.runId() != null) {
            headers.add("ce_runid", utf8(meta.runId()));
        }
        if (meta.redacted() > 0) {
            headers.add("ce_redacted", utf8(Integer.toString(meta.redacted())));
        }
        return headers;
    }

    static String ceType(RecordMeta meta) {
        if (meta.rejectReason() != null) {
            return CE_TYPE_REJECTED;
        }
        return meta.eventType() == null || meta.eventType().isBlank() ? CE_TYPE_UNTYPED
                : CE_TYPE_PREFIX + meta.eventType();
    }

    /** The bytes of a value seen again and again (a source, an event type); a few hundred at most are kept. */
    private byte[] recurring(String value) {
        byte[] bytes = recurring.get(value);
        if (bytes == null) {
            bytes = utf8(value);
            if (recurring.size() < 256) {
                recurring.put(value, bytes);
            }
        }
        return bytes;
    }

    /** RFC 3339 of a receive time; records of a burst share their millisecond, so the last one is kept. */
    private byte[] time(long millis) {
        if (millis != timeMillis) {
            timeBytes = utf8(Instant.ofEpochMilli(millis).toString());
            timeMillis = millis;
        }
        return timeBytes;
    }

    private static byte[] utf8OrNull(String s) {
        return s == null ? null : utf8(s);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
