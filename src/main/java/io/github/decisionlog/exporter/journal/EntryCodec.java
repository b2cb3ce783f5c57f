package io.github.decisionlog.exporter.journal;

import net.openhft.chronicle.bytes.Bytes;

/**
 * The layout of one journal entry: a format byte, the receive time, the metadata, then the bytes. Format 2 added the
 * reject reason and the redaction count; entries of format 1, written before, are still read.
 */
final class EntryCodec {

    private static final byte FORMAT_1 = 1;
    private static final byte FORMAT_2 = 2;

    private EntryCodec() {
    }

    /** Writes an entry and returns its size in bytes. */
    static int write(Bytes<?> out, long receivedAtMillis, RecordMeta meta, byte[] buf, int off, int len) {
        long start = out.writePosition();
        out.writeByte(FORMAT_2);
        out.writeLong(receivedAtMillis);
        out.writeUtf8(meta.source());
        out.writeUtf8(meta.recordId());
        out.writeUtf8(meta.eventType());
        out.writeUtf8(meta.key());
        out.writeUtf8(meta.runId());
        out.writeUtf8(meta.rejectReason());
        out.writeStopBit(meta.redacted());
        out.writeInt(len);
        out.write(buf, off, len);
        return (int) (out.writePosition() - start);
    }

    /** Writes an entry in the first format, as exporters before format 2 did; for tests of reading old journals. */
    static void writeFormat1(Bytes<?> out, long receivedAtMillis, RecordMeta meta, byte[] buf, int off, int len) {
        out.writeByte(FORMAT_1);
        out.writeLong(receivedAtMillis);
        out.writeUtf8(meta.source());
        out.writeUtf8(meta.recordId());
        out.writeUtf8(meta.eventType());
        out.writeUtf8(meta.key());
        out.writeUtf8(meta.runId());
        out.writeInt(len);
        out.write(buf, off, len);
    }

    /** Reads an entry; {@code journalId} names socket records that carry no id of their own. */
    static JournalEntry read(Bytes<?> in, long index, String journalId) {
        int size = (int) in.readRemaining();
        byte format = in.readByte();
        if (format != FORMAT_1 && format != FORMAT_2) {
            throw new IllegalStateException("journal entry " + Long.toHexString(index) + " has unknown format " + format);
        }
        long receivedAt = in.readLong();
        String source = in.readUtf8();
        String recordId = in.readUtf8();
        String eventType = in.readUtf8();
        String key = in.readUtf8();
        String runId = in.readUtf8();
        String rejectReason = null;
        int redacted = 0;
        if (format == FORMAT_2) {
            rejectReason = in.readUtf8();
            redacted = (int) in.readStopBit();
        }
        RecordMeta meta = new RecordMeta(source, recordId, eventType, key, runId, rejectReason, redacted);
        byte[] payload = new byte[in.readInt()];
        in.read(payload);
        String id = recordId != null ? recordId : journalId + "-" + Long.toHexString(index);
        return new JournalEntry(index, receivedAt, id, meta, payload, size);
    }
}
