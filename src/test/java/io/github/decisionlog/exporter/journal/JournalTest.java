package io.github.decisionlog.exporter.journal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.TestSettings;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
        return journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null, null), b, 0, b.length);
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

    /**
     * The journal's MINUTELY indexes every 256th entry where Chronicle's indexes every 16th; files and index numbers
     * are the same, so a journal written by either reads and goes on with the other (an upgrade, and a way back).
     */
    @Test
    void minutelyJournalsOfChroniclesSpacingAndOursReadEachOther() {
        RecordMeta meta = new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null, null);
        byte[] b = "{\"n\":0}".getBytes(StandardCharsets.UTF_8);
        try (SingleChronicleQueue legacy = SingleChronicleQueueBuilder.binary(dir.resolve("queue"))
                .rollCycle(LegacyRollCycles.MINUTELY).build(); ExcerptAppender appender = legacy.createAppender()) {
            for (int i = 0; i < 1000; i++) {
                try (DocumentContext dc = appender.writingDocument()) {
                    EntryCodec.write(dc.wire().bytes(), 1L, meta, b, 0, b.length);
                }
            }
        }
        Journal journal = open("MINUTELY");
        try (JournalReader reader = journal.reader()) {
            assertThat(readAll(reader)).hasSize(1000);
        }
        for (int i = 0; i < 1000; i++) {
            append(journal, "{\"n\":1}");
        }
        journal.stop();

        try (SingleChronicleQueue legacy = SingleChronicleQueueBuilder.binary(dir.resolve("queue"))
                .rollCycle(LegacyRollCycles.MINUTELY).build(); ExcerptTailer tailer = legacy.createTailer()) {
            int read = 0;
            for (boolean more = true; more; ) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    more = dc.isPresent();
                    read += more ? 1 : 0;
                }
            }
            assertThat(read).as("entries Chronicle's MINUTELY reads back, ours included").isEqualTo(2000);
        }
        Journal reopened = open("MINUTELY");
        assertThat(reopened.backlogRecords()).isEqualTo(2000);
        reopened.stop();
    }

    @Test
    void entriesComeBackWithTheirMetadataAndAStableId() {
        Journal journal = open("FAST_HOURLY");
        append(journal, "{\"n\":1}");
        byte[] b = "{\"n\":2}".getBytes(StandardCharsets.UTF_8);
        journal.append(new RecordMeta("audit", "audit-channel/run.log:2", null, null, null, "run-1"), b, 0, b.length);
        try (JournalReader reader = journal.reader()) {
            JournalEntry first = reader.next();
            JournalEntry second = reader.next();
            assertThat(reader.next()).isNull();
            assertThat(first.meta()).isEqualTo(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null, null));
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
        RecordMeta meta = new RecordMeta("audit", longId, "violation_audited", "k".repeat(300), null, "run-1");
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
        // all acknowledged: the last file goes too, once its cycle has ended
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(cycleFiles()).isEmpty());
        try (JournalReader reader = journal.reader()) {
            assertThat(reader.next()).isNull();
        }
        journal.stop();
        assertThat(second).isGreaterThan(first);
    }

    /**
     * The cap covers every file the journal has, measured as du measures it: appending as fast as one thread can, with
     * nothing acknowledged, the journal turns full before its files reach the cap, and stays under it.
     */
    @Test
    void theCapCoversEveryFileOnDiskAndFullComesBeforeIt() throws Exception {
        var props = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.max-size", "64MB",
                "journal.min-free-disk", "1MB", "journal.when-full", "drop"));
        Journal journal = new Journal(props, new SimpleMeterRegistry());
        journal.start();
        String record = "{\"pad\":\"" + "p".repeat(1000) + "\"}";
        long appended = 0;
        while (append(journal, record) != Journal.DROPPED) {
            appended++;
        }
        long du = du(dir);
        assertThat(journal.isFull()).isTrue();
        assertThat(du).as("du of the journal directory when full").isLessThanOrEqualTo(64L << 20);
        assertThat(journal.bytesOnDisk()).as("the journal measures itself as du does (as last measured)")
                .isCloseTo(du, org.assertj.core.data.Offset.offset(1L << 20));
        assertThat(appended * record.length()).as("most of the cap holds records: all but the 16 MiB kept free")
                .isGreaterThan((64L << 20) - (16L << 20) - (4L << 20));
        journal.stop();

        // a restart measures the files exactly where the full journal had an estimate near the cap, so it may find
        // room for a few more records; it must not find room past the cap
        Journal reopened = new Journal(props, new SimpleMeterRegistry());
        reopened.start();
        assertThat(reopened.backlogRecords()).isEqualTo(appended);
        long more = 0;
        while (append(reopened, record) != Journal.DROPPED) {
            more++;
        }
        assertThat(more * record.length()).as("a restart does not reset the cap: at most a little room is found")
                .isLessThan(1L << 20);
        assertThat(reopened.isFull()).isTrue();
        assertThat(du(dir)).as("du after appending past a restart").isLessThanOrEqualTo(64L << 20);
        assertThat(reopened.backlogRecords()).isEqualTo(appended + more);
        reopened.stop();
    }

    /**
     * Once Kafka has acknowledged everything, the files go at the end of their cycle, the one being appended to
     * included, so a journal full of acknowledged records makes room without waiting for an append to roll it.
     */
    @Test
    void aJournalFullOfAcknowledgedRecordsEmptiesWhenItsCycleEnds() throws Exception {
        var props = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.max-size", "64MB",
                "journal.min-free-disk", "1MB", "journal.when-full", "drop", "journal.roll-cycle", "TEST_SECONDLY"));
        Journal journal = new Journal(props, new SimpleMeterRegistry());
        journal.start();
        String record = "{\"pad\":\"" + "p".repeat(1000) + "\"}";
        long appended = 0;
        while (append(journal, record) != Journal.DROPPED) {
            appended++;
        }
        acknowledgeNext(journal, (int) appended);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(cycleFiles()).isEmpty();
            assertThat(journal.isFull()).isFalse();
        });
        long next = append(journal, "{\"after\":1}");
        assertThat(next).isNotEqualTo(Journal.DROPPED);
        try (JournalReader reader = journal.reader()) {
            assertThat(readAll(reader)).containsExactly("{\"after\":1}");
        }
        journal.stop();

        Journal reopened = new Journal(props, new SimpleMeterRegistry());
        reopened.start();
        assertThat(reopened.backlogRecords()).isEqualTo(1);
        try (JournalReader reader = reopened.reader()) {
            assertThat(readAll(reader)).containsExactly("{\"after\":1}");
        }
        acknowledgeNext(reopened, 1);
        reopened.stop();
        // every file gone, the acknowledged record's included: a restart must not take that for a lost record
        Thread.sleep(1100);
        Journal again = new Journal(props, new SimpleMeterRegistry());
        again.start();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cycleFiles()).isEmpty());
        again.stop();
        Journal empty = new Journal(props, new SimpleMeterRegistry());
        empty.start();
        assertThat(empty.backlogRecords()).isZero();
        try (JournalReader reader = empty.reader()) {
            assertThat(reader.next()).isNull();
        }
        empty.stop();
    }

    /** Two exporters on one journal (a pod and its replacement on the same volume): the second waits. */
    @Test
    void aSecondJournalOnTheSameDirectoryWaitsForTheFirst() throws Exception {
        var props = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB",
                "journal.lock-timeout", "30s"));
        Journal first = new Journal(props, new SimpleMeterRegistry());
        first.start();
        append(first, "{\"n\":1}");
        Journal second = new Journal(props, new SimpleMeterRegistry());
        var opening = java.util.concurrent.CompletableFuture.runAsync(second::start);
        Thread.sleep(1000);
        assertThat(opening).as("waits while the first holds the journal").isNotDone();
        first.stop();
        opening.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(second.backlogRecords()).isEqualTo(1);

        var impatient = TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB",
                "journal.lock-timeout", "500ms"));
        assertThatThrownBy(() -> new Journal(impatient, new SimpleMeterRegistry()).start())
                .hasMessageContaining("exporter.journal.lock-timeout")
                .hasMessageContaining("another exporter has held the journal");
        second.stop();
    }

    private static long du(Path dir) throws Exception {
        Process du = new ProcessBuilder("du", "-s", "--block-size=1", dir.toString()).start();
        String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(du.waitFor()).isZero();
        return Long.parseLong(out.split("\\s+")[0]);
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
