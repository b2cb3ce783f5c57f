package io.github.decisionlog.exporter.journal;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Start-up on a journal that cannot be opened as it is: a bad setting or an I/O error stops start-up and leaves the
 * journal where it is; only damage recognised as such moves the queue aside, and what can still be read in it is
 * journaled again, with the ids it had.
 */
class JournalOpeningTest {

    @TempDir
    Path dir;

    private SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Journal journal(String... settings) {
        Map<String, String> values = new HashMap<>(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB",
                "journal.roll-cycle", "TEST_SECONDLY"));
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        registry = new SimpleMeterRegistry();
        return new Journal(TestSettings.exporter(values), registry);
    }

    private Journal open(String... settings) {
        Journal journal = journal(settings);
        journal.start();
        return journal;
    }

    private static long append(Journal journal, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null, null), b, 0, b.length);
    }

    private static List<JournalEntry> unacknowledged(Journal journal) {
        List<JournalEntry> out = new ArrayList<>();
        try (JournalReader reader = journal.reader()) {
            for (JournalEntry e; (e = reader.next()) != null; ) {
                out.add(e);
            }
        }
        return out;
    }

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

    private static List<String> texts(List<JournalEntry> entries) {
        return entries.stream().map(e -> new String(e.payload(), StandardCharsets.UTF_8)).toList();
    }

    private List<Path> cycleFiles() throws Exception {
        try (var files = Files.list(dir.resolve("queue"))) {
            return files.filter(f -> f.toString().endsWith(".cq4")).sorted().toList();
        }
    }

    private List<Path> asideDirectories() throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().contains("damaged")).toList();
        }
    }

    /**
     * Ten records over two cycle files or more (one-second cycles; the last five a second after the first five); the
     * first three acknowledged. Returns them in order.
     */
    private List<JournalEntry> tenRecordsInTwoFilesThreeAcknowledged() throws Exception {
        Journal journal = open();
        for (int i = 0; i < 5; i++) {
            append(journal, "{\"n\":" + i + "}");
        }
        Thread.sleep(1100);
        for (int i = 5; i < 10; i++) {
            append(journal, "{\"n\":" + i + "}");
        }
        List<JournalEntry> entries = unacknowledged(journal);
        acknowledgeNext(journal, 3);
        journal.stop();
        assertThat(cycleFiles()).hasSizeGreaterThanOrEqualTo(2);
        return entries;
    }

    private static List<String> ids(List<JournalEntry> entries) {
        return entries.stream().map(JournalEntry::recordId).toList();
    }

    /** The unacknowledged records (after the first three) that are not in the last cycle file. */
    private static List<String> unacknowledgedBeforeTheLastFile(List<JournalEntry> entries) {
        RollCycle cycles = TestRollCycles.TEST_SECONDLY;
        int lastCycle = cycles.toCycle(entries.get(entries.size() - 1).index());
        return ids(entries.subList(3, entries.size()).stream().filter(e -> cycles.toCycle(e.index()) < lastCycle)
                .toList());
    }

    private static void truncate(Path file, long length) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
    }

    @Test
    void anUnknownRollCycleStopsStartUpNamingTheSettingAndLeavesTheJournalAlone() throws Exception {
        List<String> ids = ids(tenRecordsInTwoFilesThreeAcknowledged());
        String journalId = Files.readString(dir.resolve("journal.id"));

        assertThatThrownBy(() -> open("journal.roll-cycle", "MINUTLY"))
                .hasMessageContaining("exporter.journal.roll-cycle")
                .hasMessageContaining("'MINUTLY'")
                .hasMessageContaining("MINUTELY")
                .hasMessageContaining("FAST_HOURLY");
        assertThat(asideDirectories()).as("nothing moved aside").isEmpty();
        assertThat(Files.readString(dir.resolve("journal.id"))).isEqualTo(journalId);

        Journal fixed = open();
        assertThat(fixed.backlogRecords()).isEqualTo(7);
        assertThat(unacknowledged(fixed)).extracting(JournalEntry::recordId).isEqualTo(ids.subList(3, 10));
        fixed.stop();
    }

    @Test
    void aFileWhereTheQueueDirectoryBelongsStopsStartUpAndIsNotMovedAside() throws Exception {
        Files.writeString(dir.resolve("queue"), "not a directory");
        assertThatThrownBy(() -> open())
                .hasMessageContaining("exporter.journal.dir")
                .hasMessageContaining(dir.resolve("queue").toString());
        assertThat(asideDirectories()).isEmpty();
        assertThat(Files.readString(dir.resolve("queue"))).isEqualTo("not a directory");
        assertThat(registry.counter("decisionlog.journal.recoveries").count()).isZero();
    }

    /**
     * Tests run as root, where permission bits do not stop a write: the immutable attribute (chattr +i) does, as a
     * read-only volume would.
     */
    @Test
    void aJournalFileThatCannotBeWrittenStopsStartUpAndIsNotMovedAside() throws Exception {
        tenRecordsInTwoFilesThreeAcknowledged();
        Path metadata = dir.resolve("queue/metadata.cq4t");
        assumeTrue(new ProcessBuilder("chattr", "+i", metadata.toString()).start().waitFor() == 0,
                "chattr +i works here");
        try {
            assertThatThrownBy(() -> open())
                    .hasMessageContaining("exporter.journal.dir")
                    .hasMessageContaining("metadata.cq4t");
            assertThat(asideDirectories()).isEmpty();
            assertThat(registry.counter("decisionlog.journal.recoveries").count()).isZero();
        } finally {
            new ProcessBuilder("chattr", "-i", metadata.toString()).start().waitFor();
        }
        Journal journal = open();
        assertThat(journal.backlogRecords()).isEqualTo(7);
        journal.stop();
    }

    /**
     * A crash while a new cycle file was being created leaves it cut short: the queue cannot be opened. It is moved
     * aside; the unacknowledged records of the file that can still be read are journaled again with their ids.
     */
    @Test
    void aCutShortCycleFileIsMovedAsideAndTheRecordsThatCanBeReadAreKeptWithTheirIds() throws Exception {
        List<JournalEntry> entries = tenRecordsInTwoFilesThreeAcknowledged();
        List<String> expected = unacknowledgedBeforeTheLastFile(entries);
        List<Path> files = cycleFiles();
        truncate(files.get(files.size() - 1), 100);

        Journal journal = open();
        assertThat(registry.counter("decisionlog.journal.recoveries").count()).isEqualTo(1);
        List<JournalEntry> left = unacknowledged(journal);
        assertThat(texts(left)).startsWith("{\"n\":3}", "{\"n\":4}");
        assertThat(ids(left)).isEqualTo(expected);
        assertThat(journal.backlogRecords()).isEqualTo(expected.size());
        assertThat(asideDirectories()).as("the file that could not be read is kept").hasSize(1);
        journal.stop();

        Journal again = open();
        assertThat(ids(unacknowledged(again))).isEqualTo(expected);
        again.stop();
    }

    /** A cycle file whose header was overwritten (a disk fault): the same, the damaged file's records are lost. */
    @Test
    void aCycleFileWithAnOverwrittenHeaderIsMovedAsideAndTheOtherFilesRecordsAreKept() throws Exception {
        List<JournalEntry> entries = tenRecordsInTwoFilesThreeAcknowledged();
        List<Path> files = cycleFiles();
        try (RandomAccessFile f = new RandomAccessFile(files.get(files.size() - 1).toFile(), "rw")) {
            byte[] garbage = new byte[64];
            java.util.Arrays.fill(garbage, (byte) 0x5a);
            f.write(garbage);
        }
        Journal journal = open();
        assertThat(registry.counter("decisionlog.journal.recoveries").count()).isEqualTo(1);
        assertThat(ids(unacknowledged(journal))).isEqualTo(unacknowledgedBeforeTheLastFile(entries));
        journal.stop();
    }

    /**
     * Damaged metadata loses the acknowledged position: every record that can be read is journaled again (sent
     * again: at least once), and the damaged copy goes once everything in it is safe in the new journal.
     */
    @Test
    void damagedMetadataKeepsEveryRecordAndTheirIds() throws Exception {
        List<String> ids = ids(tenRecordsInTwoFilesThreeAcknowledged());
        truncate(dir.resolve("queue/metadata.cq4t"), 100);

        Journal journal = open();
        assertThat(registry.counter("decisionlog.journal.recoveries").count()).isEqualTo(1);
        assertThat(unacknowledged(journal)).extracting(JournalEntry::recordId).isEqualTo(ids);
        assertThat(journal.backlogRecords()).isEqualTo(10);
        assertThat(asideDirectories()).as("everything was read: nothing is left aside").isEmpty();
        journal.stop();
    }

    /**
     * A stop during a recovery (a crash, a kill) leaves the damaged queue moved aside with its marker and a new queue
     * holding part of its records. The next start journals them again from the start: every record once, with its id.
     */
    @Test
    void aRecoveryThatDidNotFinishIsStartedAgainAndKeepsEveryRecordOnce() throws Exception {
        List<String> ids = ids(tenRecordsInTwoFilesThreeAcknowledged());
        truncate(dir.resolve("queue/metadata.cq4t"), 100);
        String damagedId = Files.readString(dir.resolve("journal.id")).trim();
        DamagedQueue.moveAside(dir, dir.resolve("queue"), damagedId, new IllegalStateException("damaged"));
        Files.writeString(dir.resolve("journal.id"), "a-new-journal");
        try (SingleChronicleQueue partial = JournalStore.builder(dir.resolve("queue"), TestRollCycles.TEST_SECONDLY)
                .build(); ExcerptAppender appender = partial.createAppender()) {
            for (String id : ids.subList(0, 2)) {
                byte[] b = "{\"recovered\":true}".getBytes(StandardCharsets.UTF_8);
                try (DocumentContext dc = appender.writingDocument()) {
                    EntryCodec.write(dc.wire().bytes(), 1L, new RecordMeta("socket", id, null, null, null, null), b,
                            0, b.length);
                }
            }
        }

        Journal journal = open();
        assertThat(ids(unacknowledged(journal))).isEqualTo(ids);
        assertThat(journal.backlogRecords()).isEqualTo(10);
        assertThat(asideDirectories()).as("everything was read: nothing is left aside").isEmpty();
        journal.stop();
        Journal again = open();
        assertThat(ids(unacknowledged(again))).as("a finished recovery is not done again").isEqualTo(ids);
        again.stop();
    }
}
