package io.github.decisionlog.exporter.journal;

import java.util.function.LongSupplier;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

/** Reads the journal in order from just after the acknowledged position. Not thread-safe: one reader, one thread. */
public final class JournalReader implements AutoCloseable {

    private final SingleChronicleQueue queue;
    private final ExcerptTailer tailer;
    private final String journalId;
    private final LongSupplier acknowledgedIndex;
    private final byte[] scratch = new byte[4096];

    JournalReader(SingleChronicleQueue queue, String journalId, LongSupplier acknowledgedIndex) {
        this.queue = queue;
        this.tailer = queue.createTailer();
        this.journalId = journalId;
        this.acknowledgedIndex = acknowledgedIndex;
        rewind();
    }

    /**
     * The next record, or {@code null} when the reader is at the end of the journal.
     *
     * @throws UndecodableEntryException when the next entry cannot be decoded; the reader has moved past it
     */
    public JournalEntry next() {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return null;
            }
            Bytes<?> in = dc.wire().bytes();
            long start = in.readPosition();
            long end = in.readLimit();
            JournalEntry entry;
            try {
                entry = EntryCodec.read(in, dc.index(), journalId, scratch);
            } catch (RuntimeException e) { // EntryCodec checks the payload length against the entry
                String reason = e.getMessage() != null ? e.getMessage() : e.toString();
                throw undecodable(in, start, end, dc.index(), reason, e);
            }
            return entry;
        }
    }

    private static UndecodableEntryException undecodable(Bytes<?> in, long start, long end, long index, String reason,
            Throwable cause) {
        byte[] raw = new byte[(int) (end - start)];
        in.read(start, raw, 0, raw.length);
        return new UndecodableEntryException(index, raw, reason, cause);
    }

    /** Moves over the next record without decoding it; returns its size, or -1 at the end of the journal. */
    int skip() {
        try (DocumentContext dc = tailer.readingDocument()) {
            return dc.isPresent() ? (int) dc.wire().bytes().readRemaining() : -1;
        }
    }

    /** Goes back to just after the acknowledged position, to send again what was not acknowledged. */
    public void rewind() {
        long ack = acknowledgedIndex.getAsLong();
        if (ack == Journal.NO_RECORD) {
            tailer.toStart();
            return;
        }
        if (tailer.moveToIndex(ack)) {
            try (DocumentContext dc = tailer.readingDocument()) {
                // skips the acknowledged record itself
            }
        } else {
            // the acknowledged record's file was deleted: everything left is after it, if anything is left
            tailer.toStart();
            if (queue.firstIndex() != Long.MAX_VALUE && tailer.index() <= ack) {
                throw new IllegalStateException("journal lost the record after " + Long.toHexString(ack));
            }
        }
    }

    @Override
    public void close() {
        tailer.close();
    }
}
