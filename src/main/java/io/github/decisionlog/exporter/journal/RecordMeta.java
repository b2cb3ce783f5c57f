package io.github.decisionlog.exporter.journal;

/**
 * What a source knows about a record besides its bytes, kept in the journal beside them.
 *
 * @param source where the record came from ({@code socket}, {@code audit}, {@code admission})
 * @param recordId a stable id chosen by the source, or {@code null} to use one derived from the journal position
 * @param eventType the record's {@code eventType}, or the type a source gives a record without one, or {@code null}
 * @param key the Kafka key that keeps one resource's decisions in order, or {@code null}
 * @param runId the Gatekeeper audit run the record belongs to, or {@code null}
 */
public record RecordMeta(String source, String recordId, String eventType, String key, String runId) {
}
