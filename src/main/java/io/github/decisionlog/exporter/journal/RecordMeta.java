package io.github.decisionlog.exporter.journal;

/**
 * What a source knows about a record besides its bytes, kept in the journal beside them. Both keys are kept, so
 * that the Kafka key is chosen when the record is published and {@code exporter.publish.key} applies to a backlog.
 *
 * @param source where the record came from ({@code socket}, {@code datagram}, {@code audit}, {@code admission})
 * @param recordId a stable id chosen by the source, or {@code null} to use one derived from the journal position
 * @param eventType the record's {@code eventType}, or the type a source gives a record without one, or {@code null}
 * @param resourceKey {@code kind/namespace/name} of the resource the record is about, or {@code null}
 * @param constraintKey {@code kind/name} of the violated constraint, or {@code null}
 * @param runId the Gatekeeper audit run the record belongs to, or {@code null}
 * @param rejectReason for a record refused at ingest and kept for the rejects topic, why; otherwise {@code null}
 * @param redacted how many values redaction erased or masked in the record; 0 when none
 */
public record RecordMeta(String source, String recordId, String eventType, String resourceKey, String constraintKey,
        String runId, String rejectReason, int redacted) {

    public RecordMeta(String source, String recordId, String eventType, String resourceKey, String constraintKey,
            String runId) {
        this(source, recordId, eventType, resourceKey, constraintKey, runId, null, 0);
    }

    /** A record refused at ingest, journaled so that it reaches the rejects topic. */
    public static RecordMeta rejected(String source, String recordId, String reason) {
        return new RecordMeta(source, recordId, null, null, null, null, reason, 0);
    }
}
