package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Fills a journal directory the way {@code ExporterRun} lays it out ({@code <dir>/journal}) before an exporter starts
 * on it: good records through the journal itself, damaged entries through Chronicle directly, as a bad disk or a bug
 * in an older exporter could leave them.
 */
final class JournalFixture {

    private JournalFixture() {
    }

    static Path journalDir(Path dir) {
        return dir.resolve("journal");
    }

    /** Appends records through the journal, as a source would; each line is one record. */
    static void appendRecords(Path dir, Iterable<String> lines) {
        Journal journal = new Journal(TestSettings.exporter(Map.of("journal.dir", journalDir(dir).toString(),
                "journal.min-free-disk", "1MB")), new SimpleMeterRegistry());
        journal.start();
        try {
            for (String line : lines) {
                byte[] b = line.getBytes(StandardCharsets.UTF_8);
                journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/p", null, null), b, 0,
                        b.length);
            }
        } finally {
            journal.stop();
        }
    }

    /** Appends one entry of exactly these bytes, bypassing the journal's encoding. */
    static void appendRaw(Path dir, byte[] entry) {
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(journalDir(dir).resolve("queue"))
                .rollCycle(LegacyRollCycles.MINUTELY).blockSize(8L << 20).build();
                ExcerptAppender appender = queue.createAppender();
                DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(entry);
        }
    }

    /** An entry whose format byte no exporter ever wrote. */
    static byte[] unknownFormat() {
        return "\u0009garbage that no exporter wrote".getBytes(StandardCharsets.US_ASCII);
    }

    /** A well-formed entry of the current format except that its payload length says more than the entry holds. */
    static byte[] payloadLongerThanEntry() {
        Bytes<byte[]> b = Bytes.allocateElasticOnHeap(128);
        b.writeByte((byte) 3);
        b.writeLong(1_790_000_000_000L);
        for (int i = 0; i < 6; i++) {
            b.writeStopBit(0); // no source, id, event type, key, run id, reject reason
        }
        b.writeStopBit(0); // redacted
        byte[] payload = "{\"cut\":true}".getBytes(StandardCharsets.US_ASCII);
        b.writeInt(payload.length + 1000);
        b.write(payload);
        return b.toByteArray();
    }
}
