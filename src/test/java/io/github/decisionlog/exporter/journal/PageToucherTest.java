package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.TestSettings;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The journal's pages touched ahead of the appender: appends then write into pages already in memory, touching
 * changes no record, and it stops where the disk budget has no room.
 */
class PageToucherTest {

    private static final int RECORD = 1000;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private final List<Journal> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(Journal::stop);
    }

    private Journal open(String touchAhead, Map<String, String> more) {
        Map<String, String> values = new HashMap<>(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB",
                "journal.touch-ahead", touchAhead));
        values.putAll(more);
        Journal journal = new Journal(TestSettings.exporter(values), new SimpleMeterRegistry());
        journal.start();
        opened.add(journal);
        return journal;
    }

    private static long append(Journal journal, byte[] payload) {
        return journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null, null), payload, 0,
                payload.length);
    }

    private static byte[] record(int n) {
        byte[] b = new byte[RECORD];
        byte[] head = ("{\"n\":" + n + ",\"pad\":\"").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, b, 0, head.length);
        for (int i = head.length; i < b.length - 2; i++) {
            b[i] = (byte) ('a' + (n + i) % 26);
        }
        b[b.length - 2] = '"';
        b[b.length - 1] = '}';
        return b;
    }

    /** Page faults this thread has taken so far that needed no disk read (field 10 of /proc/thread-self/stat). */
    private static long minorFaultsOfThisThread() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[7]);
    }

    /** Appends 3 MiB of records after the first and returns the page faults the appending thread took meanwhile. */
    private static long faultsWhileAppending(Journal journal) throws IOException {
        for (int i = 0; i < 100; i++) { // the append path warmed up on the file's first pages
            append(journal, record(i));
        }
        PageToucher toucher = journal.pageToucherForTest();
        if (toucher != null) {
            await().atMost(Duration.ofSeconds(10)).until(() -> toucher.touchedTo() > 3 * RECORD * 1024 + (1 << 20));
        }
        byte[][] records = new byte[3 * 1024][];
        for (int i = 0; i < records.length; i++) {
            records[i] = record(i);
        }
        long before = minorFaultsOfThisThread();
        for (byte[] r : records) {
            append(journal, r);
        }
        return minorFaultsOfThisThread() - before;
    }

    @Test
    void appendsWriteIntoPagesTouchedAheadInsteadOfFaultingEachNewPage() throws IOException {
        long pages = 3L * RECORD * 1024 / PAGE; // 750
        long withoutToucher = faultsWhileAppending(open("0", Map.of()));
        opened.forEach(Journal::stop);
        opened.clear();
        dir = Files.createDirectories(dir.resolve("second"));
        long withToucher = faultsWhileAppending(open("4MB", Map.of()));

        assertThat(withoutToucher).as("faults without touching ahead").isGreaterThan(pages / 2);
        assertThat(withToucher).as("faults with 4MB touched ahead").isLessThan(pages / 10);
    }

    @Test
    void withSyncsNothingIsTouchedAhead() {
        // each sync would write the pages touched ahead too: dirty, though still zero
        assertThat(open("4MB", Map.of("journal.sync", "batch")).pageToucherForTest()).isNull();
        dir = dir.resolve("always");
        assertThat(open("4MB", Map.of("journal.sync", "always")).pageToucherForTest()).isNull();
    }

    @Test
    void touchingChangesNoRecordWhileConnectionsAppend() throws Exception {
        Journal journal = open("8MB", Map.of());
        int threads = 4;
        int each = 5_000; // 20 MB in all: over two of the file's 8 MiB blocks
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t * each;
            Thread w = new Thread(() -> {
                for (int i = first; i < first + each; i++) {
                    append(journal, record(i));
                }
            });
            w.start();
            writers.add(w);
        }
        for (Thread w : writers) {
            w.join();
        }
        Map<Integer, byte[]> read = new HashMap<>();
        try (JournalReader reader = journal.reader()) {
            for (JournalEntry e; (e = reader.next()) != null; ) {
                String text = new String(e.payload(), StandardCharsets.US_ASCII);
                int n = Integer.parseInt(text.substring(5, text.indexOf(',')));
                assertThat(read.put(n, e.payload())).as("record %d read once", n).isNull();
            }
        }
        assertThat(read).hasSize(threads * each);
        read.forEach((n, payload) -> assertThat(payload).as("record %d", n).isEqualTo(record(n)));
    }

    @Test
    void nothingIsTouchedWhereTheBudgetHasNoRoom() {
        Path queueDir = dir.resolve("queue");
        try (SingleChronicleQueue queue = JournalStore.builder(queueDir, SparseMinutely.MINUTELY).build();
                ExcerptAppender appender = queue.createAppender()) {
            appender.writeText("first");
            long ahead = 8L << 20;
            long[] appended = {1};
            PageToucher full = new PageToucher(queue, ahead, () -> appended[0], bytes -> false);
            long before = FileBlocks.underDirectory(queueDir);
            full.touchAhead();
            assertThat(full.touchedTo()).isZero();
            assertThat(FileBlocks.underDirectory(queueDir) - before).as("bytes taken on disk").isLessThan(1 << 20);
            full.close();

            PageToucher withRoom = new PageToucher(queue, ahead, () -> appended[0], bytes -> true);
            withRoom.touchAhead();
            assertThat(withRoom.touchedTo()).isGreaterThanOrEqualTo(ahead);
            assertThat(FileBlocks.underDirectory(queueDir) - before).as("bytes taken on disk")
                    .isGreaterThanOrEqualTo(ahead - (1 << 20));
            withRoom.close();
        }
    }

    @Test
    void theFileIsLetGoOnceItsCycleHasEnded() throws Exception {
        Journal journal = open("4MB", Map.of("journal.roll-cycle", "TEST_SECONDLY"));
        PageToucher toucher = journal.pageToucherForTest();
        // an append just before a second ends may find the toucher already in the next cycle: append again
        await().atMost(Duration.ofSeconds(5)).until(() -> append(journal, record(1)) >= 0 && toucher.touchedTo() > 0);
        Path file;
        try (var files = Files.list(dir.resolve("queue"))) {
            file = files.filter(f -> f.toString().endsWith(".cq4")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        // the next cycle's first append moves the appender to a new file; the toucher lets the old one go by itself
        Thread.sleep(1100);
        append(journal, record(2));
        await().atMost(Duration.ofSeconds(5)).until(() -> !mapped(file));
    }

    private static boolean mapped(Path file) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.endsWith(file.toString()));
    }
}
