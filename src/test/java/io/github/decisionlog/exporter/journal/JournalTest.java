package io.github.decisionlog.exporter.journal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class JournalTest {

    @TempDir
    Path dir;

    private Journal open(String rollCycle) {
        var props = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.roll-cycle", rollCycle,
                "journal.min-free-disk", "1MB"));
        Journal journal = new Journal(props, new SimpleMeterRegistry());
        journal.start();
        return journal;
    }

    private static long append(Journal journal, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null), b, 0, b.length);
    }

    /** Acknowledges the next {@code count} records as the publisher would, with their sizes. */
    private static void acknowledgeNext(Journal journal, int count) {
        try (JournalReader reader = journal.reader()) {
            long bytes = 0;
            long last = 0;
            for (int i = 0; i < count; i++) {
                JournalEntry e = reader.next();
                bytes += e.size();
                last = e.index();
            }
            journal.acknowledge(last, count, bytes);
        }
    }

    private static List<String> readAll(JournalReader reader) {
        List<String> out = new ArrayList<>();
        JournalEntry e;
        while ((e = reader.next()) != null) {
            out.add(new String(e.payload(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void entriesComeBackWithTheirMetadataAndAStableId() {
        Journal journal = open("FAST_HOURLY");
        append(journal, "{\"n\":1}");
        byte[] b = "{\"n\":2}".getBytes(StandardCharsets.UTF_8);
        journal.append(new RecordMeta("audit", "audit-channel/run.log:2", null, null, "run-1"), b, 0, b.length);
        try (JournalReader reader = journal.reader()) {
            JournalEntry first = reader.next();
            JournalEntry second = reader.next();
            assertThat(reader.next()).isNull();
            assertThat(first.meta()).isEqualTo(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null));
            assertThat(first.recordId()).matches("[0-9a-f]{16}-" + Long.toHexString(first.index()));
            assertThat(second.recordId()).isEqualTo("audit-channel/run.log:2");
            assertThat(second.meta().runId()).isEqualTo("run-1");
            assertThat(second.receivedAtMillis()).isCloseTo(System.currentTimeMillis(),
                    org.assertj.core.data.Offset.offset(60_000L));
        }
        journal.stop();
    }

    @Test
    void recordsOfTheLargestSizeTheSettingsAllowFit() {
        Journal journal = open("FAST_HOURLY");
        byte[] largest = new byte[(int) org.springframework.util.unit.DataSize
                .parse(io.github.decisionlog.exporter.ExporterProperties.LARGEST_RECORD).toBytes()];
        java.util.Arrays.fill(largest, (byte) 'x');
        String longId = "audit-channel/" + "r".repeat(200) + ".log:1";
        RecordMeta meta = new RecordMeta("audit", longId, "violation_audited", "k".repeat(300), "run-1");
        for (int i = 0; i < 40; i++) { // several journal blocks' worth, with long metadata
            largest[0] = (byte) ('a' + i % 26);
            assertThat(journal.append(meta, largest, 0, largest.length)).isNotEqualTo(Journal.DROPPED);
        }
        try (JournalReader reader = journal.reader()) {
            for (int i = 0; i < 40; i++) {
                JournalEntry e = reader.next();
                assertThat(e.payload()).hasSize(largest.length);
                assertThat(e.payload()[0]).isEqualTo((byte) ('a' + i % 26));
                assertThat(e.recordId()).isEqualTo(longId);
            }
            assertThat(reader.next()).isNull();
        }
        journal.stop();
    }

    @Test
    void theAcknowledgedPositionAndTheBacklogSurviveARestart() {
        Journal journal = open("FAST_HOURLY");
        List<Long> indexes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            indexes.add(append(journal, "{\"n\":" + i + "}"));
        }
        assertThat(journal.backlogRecords()).isEqualTo(10);
        acknowledgeNext(journal, 4);
        assertThat(journal.backlogRecords()).isEqualTo(6);
        String firstId;
        try (JournalReader reader = journal.reader()) {
            firstId = reader.next().recordId();
        }
        journal.stop();

        Journal reopened = open("FAST_HOURLY");
        assertThat(reopened.backlogRecords()).isEqualTo(6);
        try (JournalReader reader = reopened.reader()) {
            JournalEntry next = reader.next();
            assertThat(new String(next.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":4}");
            assertThat(next.recordId()).isEqualTo(firstId);
            reader.next();
            reader.rewind();
            assertThat(readAll(reader)).hasSize(6).first().isEqualTo("{\"n\":4}");
        }
        acknowledgeNext(reopened, 6);
        reopened.stop();
        Journal empty = open("FAST_HOURLY");
        assertThat(empty.backlogRecords()).isZero();
        try (JournalReader reader = empty.reader()) {
            assertThat(reader.next()).isNull();
        }
        empty.stop();
    }

    @Test
    void filesWhoseRecordsAreAllAcknowledgedAreDeleted() throws Exception {
        Journal journal = open("TEST_SECONDLY");
        long first = append(journal, "{\"n\":1}");
        Thread.sleep(1100);
        long second = append(journal, "{\"n\":2}");
        Thread.sleep(1100);
        long third = append(journal, "{\"n\":3}");
        assertThat(cycleFiles()).hasSize(3);

        acknowledgeNext(journal, 1);
        Thread.sleep(500);
        assertThat(cycleFiles()).hasSize(3); // the acknowledged record's own file stays until a later one is acked
        acknowledgeNext(journal, 2);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(cycleFiles()).hasSize(1));
        try (JournalReader reader = journal.reader()) {
            assertThat(reader.next()).isNull();
        }
        journal.stop();
        assertThat(second).isGreaterThan(first);
    }

    @Test
    void theBudgetCountsWhatKafkaHasNotAcknowledgedAndSurvivesARestart() {
        var props = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.max-size", "10KB",
                "journal.min-free-disk", "1MB"));
        Journal journal = new Journal(props, new SimpleMeterRegistry());
        journal.start();
        String record = "{\"pad\":\"" + "p".repeat(1000) + "\"}";
        for (int i = 0; i < 9; i++) {
            append(journal, record);
        }
        assertThat(journal.isFull()).isFalse();
        assertThat(journal.backlogBytes()).isBetween(9L * record.length(), 9L * (record.length() + 100));
        append(journal, record);
        assertThat(journal.isFull()).as("10 records of 1 KB fill a 10 KB budget").isTrue();
        acknowledgeNext(journal, 5);
        assertThat(journal.isFull()).as("room again once Kafka acknowledged, whatever the files hold").isFalse();
        long left = journal.backlogBytes();
        journal.stop();

        Journal reopened = new Journal(props, new SimpleMeterRegistry());
        reopened.start();
        assertThat(reopened.backlogBytes()).isEqualTo(left);
        assertThat(reopened.backlogRecords()).isEqualTo(5);
        reopened.stop();
    }

    @Test
    void aNearlyFullDiskBlocksOnlyWhileRecordsWaitForKafka() {
        var props = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1000TB"));
        Journal journal = new Journal(props, new SimpleMeterRegistry());
        journal.start();
        assertThat(journal.isFull()).as("nothing waits: only acknowledged records could be freed, by a roll").isFalse();
        append(journal, "{\"n\":1}");
        assertThat(journal.isFull()).as("a record waits on a nearly full disk").isTrue();
        acknowledgeNext(journal, 1);
        assertThat(journal.isFull()).isFalse();
        journal.stop();
    }

    private List<Path> cycleFiles() throws Exception {
        try (var files = Files.list(dir.resolve("queue"))) {
            return files.filter(f -> f.toString().endsWith(".cq4")).toList();
        }
    }
}
