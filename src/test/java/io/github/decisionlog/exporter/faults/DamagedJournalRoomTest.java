package io.github.decisionlog.exporter.faults;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A damaged journal is recovered by journaling its records again, which needs room on the volume: without it the
 * start stops with a message that says what to do (rather than a crash writing a memory-mapped file on a full file
 * system), the damaged copy stays, and the next start with room recovers every record.
 */
class DamagedJournalRoomTest {

    private static final int RECORDS = 20_000;

    @TempDir
    Path dir;

    @Test
    void aRecoveryWithoutRoomStopsStartUpAndIsDoneOnceThereIsRoom() throws Exception {
        Path volume = dir.resolve("volume");
        Files.createDirectories(volume);
        assumeTrue(SmallFileSystem.mount(volume, "96m"), "mounting a tmpfs needs root");
        try {
            var settings = TestSettings.exporter(Map.of("journal.dir", volume.resolve("journal").toString(),
                    "journal.min-free-disk", "4MB", "journal.max-size", "80MB"));
            Journal journal = new Journal(settings, new SimpleMeterRegistry());
            journal.start();
            byte[] record = ("{\"pad\":\"" + "p".repeat(1000) + "\"}").getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < RECORDS; i++) {
                journal.append(new RecordMeta("socket", null, null, null, null, null), record, 0, record.length);
            }
            journal.stop();
            // damaged metadata: every record that can be read is journaled again
            try (RandomAccessFile metadata = new RandomAccessFile(
                    volume.resolve("journal/queue/metadata.cq4t").toFile(), "rw")) {
                metadata.setLength(100);
            }
            Path filler = volume.resolve("filler");
            long leave = 16L << 20; // less than the records take
            try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
                byte[] block = new byte[1 << 20];
                while (Files.getFileStore(volume).getUsableSpace() > leave + block.length) {
                    f.write(block);
                }
            }

            assertThatThrownBy(() -> new Journal(settings, new SimpleMeterRegistry()).start())
                    .hasStackTraceContaining("MiB to journal again")
                    .hasStackTraceContaining("inspect --journal");
            try (var files = Files.list(volume.resolve("journal"))) {
                assertThat(files.map(f -> f.getFileName().toString())).anyMatch(n -> n.startsWith("damaged-"));
            }

            Files.delete(filler);
            Journal recovered = new Journal(settings, new SimpleMeterRegistry());
            recovered.start();
            assertThat(recovered.backlogRecords()).isEqualTo(RECORDS);
            recovered.stop();
            try (var files = Files.list(volume.resolve("journal"))) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("damaged-"));
            }
        } finally {
            SmallFileSystem.unmount(volume);
        }
    }
}
