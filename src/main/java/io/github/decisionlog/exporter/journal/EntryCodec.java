package io.github.decisionlog.exporter.journal;

import java.nio.charset.StandardCharsets;

import net.openhft.chronicle.bytes.Bytes;

/**
 * The layout of one journal entry: a format byte, the receive time, the metadata, then the bytes. Format 2 added the
 * reject reason and the redaction count. Format 3 stores each metadata string as its UTF-8 byte length and bytes,
 * which read back with one copy, instead of Chronicle's UTF-8 strings, whose decoding char by char was a sixth of
 * the publisher thread's time. Format 4 keeps both the resource key and the constraint key, so that the Kafka key is
 * chosen at publish time; formats 1 to 3 kept the one key chosen at ingest, which is read back as both. Entries of
 * every earlier format are still read.
 */
final class EntryCodec {

    private static final byte FORMAT_1 = 1;
    private static final byte FORMAT_2 = 2;
    private static final byte FORMAT_3 = 3;
    private static final byte FORMAT_4 = 4;

    private EntryCodec() {
    }

    /** Writes an entry and returns its size in bytes. */
    static int write(Bytes<?> out, long receivedAtMillis, RecordMeta meta, byte[] buf, int off, int len) {
        long start = out.writePosition();
        out.writeByte(FORMAT_4);
        out.writeLong(receivedAtMillis);
        writeString(out, meta.source());
        writeString(out, meta.recordId());
        writeString(out, meta.eventType());
        writeString(out, meta.resourceKey());
        writeString(out, meta.constraintKey());
        writeString(out, meta.runId());
        writeString(out, meta.rejectReason());
        out.writeStopBit(meta.redacted());
        out.writeInt(len);
        out.write(buf, off, len);
        return (int) (out.writePosition() - start);
    }

    /** Writes an entry in format 3 with {@code key} as its one key, as exporters before format 4 did; for tests. */
    static void writeFormat3(Bytes<?> out, long receivedAtMillis, RecordMeta meta, String key, byte[] buf, int off,
            int len) {
        out.writeByte(FORMAT_3);
        out.writeLong(receivedAtMillis);
        writeString(out, meta.source());
        writeString(out, meta.recordId());
        writeString(out, meta.eventType());
        writeString(out, key);
        writeString(out, meta.runId());
        writeString(out, meta.rejectReason());
        out.writeStopBit(meta.redacted());
        out.writeInt(len);
        out.write(buf, off, len);
    }

    /** Length + 1 (0 for null), then the UTF-8 bytes. */
    private static void writeString(Bytes<?> out, String s) {
        if (s == null) {
            out.writeStopBit(0);
            return;
        }
        int n = s.length();
        boolean ascii = true;
        for (int i = 0; i < n && ascii; i++) {
            ascii = s.charAt(i) < 0x80;
        }
        if (ascii) { // the usual case: names, ids and keys of Kubernetes objects
            out.writeStopBit(n + 1L);
            for (int i = 0; i < n; i++) {
                out.writeByte((byte) s.charAt(i));
            }
        } else {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.writeStopBit(utf8.length + 1L);
            out.write(utf8);
        }
    }

    /** Writes an entry in format 2, as exporters before format 3 did; for tests of reading old journals. */
    static void writeFormat2(Bytes<?> out, long receivedAtMillis, RecordMeta meta, byte[] buf, int off, int len) {
        out.writeByte(FORMAT_2);
        out.writeLong(receivedAtMillis);
        out.writeUtf8(meta.source());
        out.writeUtf8(meta.recordId());
        out.writeUtf8(meta.eventType());
        out.writeUtf8(meta.resourceKey());
        out.writeUtf8(meta.runId());
        out.writeUtf8(meta.rejectReason());
        out.writeStopBit(meta.redacted());
        out.writeInt(len);
        out.write(buf, off, len);
    }

    /** Writes an entry in the first format, as exporters before format 2 did; for tests of reading old journals. */
    static void writeFormat1(Bytes<?> out, long receivedAtMillis, RecordMeta meta, byte[] buf, int off, int len) {
        out.writeByte(FORMAT_1);
        out.writeLong(receivedAtMillis);
        out.writeUtf8(meta.source());
        out.writeUtf8(meta.recordId());
        out.writeUtf8(meta.eventType());
        out.writeUtf8(meta.resourceKey());
        out.writeUtf8(meta.runId());
        out.writeInt(len);
        out.write(buf, off, len);
    }

    /**
     * Reads an entry; {@code journalId} names socket records that carry no id of their own. {@code scratch} is the
     * caller's buffer for metadata strings, reused from entry to entry.
     */
    static JournalEntry read(Bytes<?> in, long index, String journalId, byte[] scratch) {
        int size = (int) in.readRemaining();
        byte format = in.readByte();
        if (format < FORMAT_1 || format > FORMAT_4) {
            throw new IllegalStateException("journal entry " + Long.toHexString(index) + " has unknown format " + format);
        }
        long receivedAt = in.readLong();
        boolean utf8 = format < FORMAT_3;
        String source = readString(in, utf8, scratch);
        String recordId = readString(in, utf8, scratch);
        String eventType = readString(in, utf8, scratch);
        String resourceKey = readString(in, utf8, scratch);
        String constraintKey = format == FORMAT_4 ? readString(in, false, scratch) : resourceKey;
        String runId = readString(in, utf8, scratch);
        String rejectReason = null;
        int redacted = 0;
        if (format != FORMAT_1) {
            rejectReason = readString(in, utf8, scratch);
            redacted = (int) in.readStopBit();
        }
        RecordMeta meta = new RecordMeta(source, recordId, eventType, resourceKey, constraintKey, runId,
                rejectReason, redacted);
        int length = in.readInt();
        if (length < 0 || length != in.readRemaining()) {
            throw new IllegalStateException("journal entry " + Long.toHexString(index) + " says its record has "
                    + length + " bytes where " + in.readRemaining() + " are left");
        }
        byte[] payload = new byte[length];
        in.read(payload);
        String id = recordId != null ? recordId : journalId + "-" + Long.toHexString(index);
        return new JournalEntry(index, receivedAt, id, meta, payload, size);
    }

    private static String readString(Bytes<?> in, boolean chronicleUtf8, byte[] scratch) {
        if (chronicleUtf8) {
            return in.readUtf8();
        }
        long stored = in.readStopBit() - 1;
        if (stored < 0) {
            return null;
        }
        if (stored > in.readRemaining()) {
            throw new IllegalStateException("a metadata string of " + stored + " bytes runs past the entry");
        }
        int n = (int) stored;
        byte[] b = n <= scratch.length ? scratch : new byte[n];
        in.read(b, 0, n);
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
