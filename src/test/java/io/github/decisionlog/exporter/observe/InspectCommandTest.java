package io.github.decisionlog.exporter.observe;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {

    @TempDir
    Path dir;

    private Journal journal;
    private final List<Long> indexes = new ArrayList<>();

    @BeforeEach
    void journalWithTenRecordsOfWhichFourAcknowledged() {
        journal = new Journal(TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB")),
                new SimpleMeterRegistry());
        journal.start();
        for (int i = 0; i < 10; i++) {
            byte[] b = ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            indexes.add(journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/p" + i, null, null),
                    b, 0, b.length));
        }
        try (JournalReader reader = journal.reader()) {
            long bytes = 0;
            for (int i = 0; i < 4; i++) {
                bytes += reader.next().size();
            }
            journal.acknowledge(indexes.get(3), 4, bytes);
        }
    }

    @AfterEach
    void close() {
        journal.stop();
    }

    private String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = InspectCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void summarySaysWhatWaitsForKafkaWhileTheExporterRuns() {
        String summary = run("--journal", dir.toString());
        assertThat(summary).contains("backlog:                6 records")
                .contains("acknowledged up to:     0x" + Long.toHexString(indexes.get(3)))
                .contains("last record:            0x" + Long.toHexString(indexes.get(9)))
                .containsPattern("oldest unacknowledged:  20\\d\\d-");
    }

    @Test
    void dumpPrintsUnacknowledgedRecordsAsNdjsonWithTheRecordUntouched() {
        String dump = run("--journal", dir.toString(), "--dump", "--limit", "3");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = dump.lines().map(json::readTree).toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).path("record").path("n").asInt()).isEqualTo(4);
        assertThat(lines.get(0).path("acknowledged").asBoolean()).isFalse();
        assertThat(lines.get(0).path("resourceKey").asString()).isEqualTo("Pod/ns/p4");
        assertThat(run("--journal", dir.toString(), "--dump", "--from", "start", "--limit", "100").lines())
                .hasSize(10).first().asString().contains("\"acknowledged\":true");
    }

    @Test
    void inspectingDoesNotMoveTheRunningExportersPosition() {
        run("--journal", dir.toString(), "--dump", "--from", "start", "--limit", "100");
        byte[] b = "{\"n\":10}".getBytes(StandardCharsets.UTF_8);
        journal.append(new RecordMeta("socket", null, null, null, null, null), b, 0, b.length);
        try (JournalReader reader = journal.reader()) {
            JournalEntry next = reader.next();
            assertThat(new String(next.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":4}");
        }
        assertThat(journal.backlogRecords()).isEqualTo(7);
    }

    /** A record refused at ingest is kept as it came, so it need not be JSON: the dump carries it as a string. */
    @Test
    void everyLineOfTheDumpIsJsonAlsoForRejectedRecords() {
        String raw = "{\"a\": \"cut \\ \"short\n\u0001";
        byte[] b = raw.getBytes(StandardCharsets.UTF_8);
        journal.append(RecordMeta.rejected("socket", null, "not_json"), b, 0, b.length);
        String dump = run("--journal", dir.toString(), "--dump", "--from", "start", "--limit", "100");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = dump.lines().map(json::readTree).toList();
        assertThat(lines).hasSize(11);
        JsonNode rejected = lines.get(10);
        assertThat(rejected.path("rejectReason").asString()).isEqualTo("not_json");
        assertThat(rejected.path("record").asString()).isEqualTo(raw);
        assertThat(lines.get(9).path("record").path("n").asInt()).isEqualTo(9);
    }

    @Test
    void aDirectoryWithoutAJournalIsAClearError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = InspectCommand.run(new String[] {"--journal", dir.resolve("nothing").toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("holds no journal");
        assertThat(InspectCommand.run(new String[] {"--bogus"}, System.out, new PrintStream(err))).isEqualTo(2);
    }
}
