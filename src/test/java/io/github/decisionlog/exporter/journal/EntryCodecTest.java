package io.github.decisionlog.exporter.journal;

import java.nio.charset.StandardCharsets;

import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EntryCodecTest {

    private static final byte[] PAYLOAD = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);

    @Test
    void theRejectReasonAndTheRedactionCountComeBack() {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        RecordMeta meta = new RecordMeta("datagram", null, "violation_admission", "Secret/ns/a",
                "K8sDenySecrets/no-secrets", null, null, 3);
        EntryCodec.write(bytes, 42, meta, PAYLOAD, 0, PAYLOAD.length);
        JournalEntry entry = EntryCodec.read(bytes, 0x10, "j", new byte[16]);
        assertThat(entry.meta()).isEqualTo(meta);
        assertThat(entry.recordId()).isEqualTo("j-10");
        assertThat(entry.payload()).isEqualTo(PAYLOAD);

        RecordMeta rejected = RecordMeta.rejected("socket", "file.log:3", "not_json");
        EntryCodec.write(bytes, 43, rejected, PAYLOAD, 0, PAYLOAD.length);
        assertThat(EntryCodec.read(bytes, 0x11, "j", new byte[16]).meta()).isEqualTo(rejected);
    }

    @Test
    void stringsLongerThanTheScratchBufferAndNotAsciiComeBack() {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        RecordMeta meta = new RecordMeta("socket", "id-" + "x".repeat(100), "évènement", "Pod/ns/\uD83D\uDE00", null, "", null, 0);
        EntryCodec.write(bytes, 42, meta, PAYLOAD, 0, PAYLOAD.length);
        assertThat(EntryCodec.read(bytes, 1, "j", new byte[16]).meta()).isEqualTo(meta);
    }

    /** Before format 4 an entry kept the one key chosen at ingest; it is read back as both keys. */
    @Test
    void entriesOfTheThirdFormatAreStillReadWithTheirOneKeyAsBoth() {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        RecordMeta meta = new RecordMeta("socket", null, "violation_audited", null, null, "run-1", null, 2);
        EntryCodec.writeFormat3(bytes, 42, meta, "Pod/ns/a", PAYLOAD, 0, PAYLOAD.length);
        JournalEntry entry = EntryCodec.read(bytes, 0x10, "j", new byte[16]);
        assertThat(entry.meta()).isEqualTo(
                new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", "Pod/ns/a", "run-1", null, 2));
        assertThat(entry.payload()).isEqualTo(PAYLOAD);
    }

    @Test
    void entriesOfTheSecondFormatAreStillRead() {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        RecordMeta old = new RecordMeta("datagram", null, "violation_admission", "Secret/ns/a", "Secret/ns/a", null,
                "not_json", 3);
        EntryCodec.writeFormat2(bytes, 42, old, PAYLOAD, 0, PAYLOAD.length);
        JournalEntry entry = EntryCodec.read(bytes, 0x10, "j", new byte[16]);
        assertThat(entry.meta()).isEqualTo(old);
        assertThat(entry.recordId()).isEqualTo("j-10");
        assertThat(entry.payload()).isEqualTo(PAYLOAD);
    }

    @Test
    void entriesOfTheFirstFormatAreStillRead() {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        RecordMeta old = new RecordMeta("audit", "channel/run.log:2", null, null, null, "run-1");
        EntryCodec.writeFormat1(bytes, 42, old, PAYLOAD, 0, PAYLOAD.length);
        JournalEntry entry = EntryCodec.read(bytes, 7, "j", new byte[16]);
        assertThat(entry.meta()).isEqualTo(old);
        assertThat(entry.meta().rejectReason()).isNull();
        assertThat(entry.meta().redacted()).isZero();
        assertThat(entry.receivedAtMillis()).isEqualTo(42);
        assertThat(entry.payload()).isEqualTo(PAYLOAD);
    }
}
