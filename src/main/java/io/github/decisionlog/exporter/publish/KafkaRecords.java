package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.RecordMeta;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Turns a journal entry into the Kafka record consumers see: the bytes as received, a key, and headers. */
final class KafkaRecords {

    /** The stable record id; the same for every copy of a record, so consumers can drop duplicates. */
    static final String RECORD_ID = "record_id";
    /**
     * The record's {@code eventType}, when it has one; {@code audit_started} and {@code audit_completed} for the
     * control lines that open and close a Gatekeeper audit run (they have no {@code eventType} of their own).
     */
    static final String EVENT_TYPE = "event_type";
    /** Where the exporter got the record: {@code socket}, {@code audit}, {@code admission}. */
    static final String SOURCE = "source";
    /** When the exporter accepted the record, RFC 3339 in UTC. */
    static final String RECEIVED_AT = "received_at";
    /** The Gatekeeper audit run the record belongs to, when it has one. */
    static final String RUN_ID = "run_id";

    private final String topic;

    KafkaRecords(String topic) {
        this.topic = topic;
    }

    ProducerRecord<byte[], byte[]> toRecord(JournalEntry entry) {
        return toRecord(entry, topic);
    }

    ProducerRecord<byte[], byte[]> toRecord(JournalEntry entry, String topic) {
        RecordMeta meta = entry.meta();
        RecordHeaders headers = new RecordHeaders();
        headers.add(RECORD_ID, utf8(entry.recordId()));
        if (meta.eventType() != null) {
            headers.add(EVENT_TYPE, utf8(meta.eventType()));
        }
        headers.add(SOURCE, utf8(meta.source()));
        headers.add(RECEIVED_AT, utf8(Instant.ofEpochMilli(entry.receivedAtMillis()).toString()));
        if (meta.runId() != null) {
            headers.add(RUN_ID, utf8(meta.runId()));
        }
        byte[] key = meta.key() == null ? null : utf8(meta.key());
        return new ProducerRecord<>(topic, null, key, entry.payload(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
