package io.github.decisionlog.exporter.journal;

/**
 * One record read back from the journal.
 *
 * @param index the record's position in the journal
 * @param receivedAtMillis when the exporter accepted it, epoch milliseconds
 * @param recordId the stable id: the source's own, or one derived from the journal's id and the index
 * @param meta what the source said about the record
 * @param payload the record's bytes exactly as received
 * @param size the entry's size in the journal, metadata included: what it counts against the budget
 */
public record JournalEntry(long index, long receivedAtMillis, String recordId, RecordMeta meta, byte[] payload,
        int size) {
}
