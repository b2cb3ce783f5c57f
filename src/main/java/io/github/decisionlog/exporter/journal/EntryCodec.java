package io.github.decisionlog.exporter.journal;

import net.openhft.chronicle.bytes.Bytes;

/** The layout of one journal entry: a format byte, the receive time, the metadata strings, then the bytes. */
final class EntryCodec {

    private static final byte FORMAT_1 = 1;

    private EntryCodec() {
    }

    /** Writes an entry and returns its size in bytes. */
    static int write(Bytes<?> out, long receivedAtMillis, RecordMeta meta, byte[] buf, int off, int len) {
        long start = out.writePosition();
        out.writeByte(FORMAT_1);
        out.writeLong(receivedAtMillis);
        out.writeUtf8(meta.source());
        out.writeUtf8(meta.recordId());
        out.writeUtf8(meta.eventType());
        out.writeUtf8(meta.key());
        out.writeUtf8(meta.runId());
        out.writeInt(len);
        out.write(buf, off, len);
        return (int) (out.writePosition() - start);
    }

    /** Reads an entry; {@code journalId} names socket records that carry no id of their own. */
    static JournalEntry read(Bytes<?> in, long index, String journalId) {
        int size = (int) in.readRemaining();
        byte format = in.readByte();
        if (format != FORMAT_1) {
            throw new IllegalStateException("journal entry " + Long.toHexString(index) + " has unknown format " + format);
        }
        long receivedAt = in.readLong();
        RecordMeta meta = new RecordMeta(in.readUtf8(), in.readUtf8(), in.readUtf8(), in.readUtf8(), in.readUtf8());
        byte[] payload = new byte[in.readInt()];
        in.read(payload);
        String recordId = meta.recordId() != null ? meta.recordId() : journalId + "-" + Long.toHexString(index);
        return new JournalEntry(index, receivedAt, recordId, meta, payload, size);
    }
}
