package io.github.decisionlog.exporter.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.sun.jna.LastErrorException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The test writer does what Gatekeeper's admission writer does, or the end-to-end tests that use it prove nothing:
 * above all, its retention refuses a batch while a reader holds the lock of the segment it must delete.
 */
class AdmissionSpoolTest {

    @TempDir
    Path root;

    @Test
    void retentionDropsTheWholeBatchWhileAReaderHoldsTheOldestSegmentsLock() throws Exception {
        try (AdmissionSpool spool = new AdmissionSpool(root, "audit-channel")) {
            long seq = 0;
            while (finished(spool).size() < AdmissionSpool.MAX_RESULTS) {
                seq = write(spool, seq, AdmissionSpool.MAX_BATCH);
            }
            // the next rotation makes 21 finished segments: retention must delete the oldest first
            while (spool.segmentsDeleted() == 0) {
                seq = write(spool, seq, AdmissionSpool.MAX_BATCH);
            }
            assertThat(finished(spool)).hasSize(AdmissionSpool.MAX_RESULTS);
            assertThat(spool.errors()).isEmpty();
            // fill the open segment to just below its rotation, so that the next batch rotates it
            long before = spool.recordsWritten();
            while ((spool.recordsWritten() + AdmissionSpool.MAX_BATCH) % AdmissionSpool.MAX_FILE_RECORDS
                    >= AdmissionSpool.MAX_BATCH) {
                seq = write(spool, seq, 1);
            }
            assertThat(spool.recordsWritten()).isGreaterThan(before);

            Path oldest = finished(spool).get(0);
            int written = 0;
            try (Flock reader = Flock.exclusive(oldest)) {
                // whatever it takes to rotate once more: the batch that would make 21 finished segments
                for (int attempt = 0; attempt < 40 && spool.batchesDropped() == 0; attempt++) {
                    if (spool.write(batch(seq, AdmissionSpool.MAX_BATCH))) {
                        seq += AdmissionSpool.MAX_BATCH;
                        written++;
                    }
                }
                // as in Gatekeeper: the batch that rotated is written, and the cleanup after it fails; the next
                // batch's cleanup fails before writing, and that batch is dropped
                assertThat(written).isEqualTo(1);
                assertThat(spool.batchesDropped()).isEqualTo(1);
                assertThat(spool.recordsDropped()).isEqualTo(AdmissionSpool.MAX_BATCH);
                assertThat(spool.blockedByReader()).isEqualTo(2);
                assertThat(spool.errors()).containsExactly(
                        "after writing: " + AdmissionSpool.BLOCKED + ": admission file is busy",
                        AdmissionSpool.BLOCKED + ": admission file is busy");
                assertThat(oldest).exists();
            }
            assertThat(spool.write(batch(seq, AdmissionSpool.MAX_BATCH))).isTrue();
            assertThat(oldest).doesNotExist();
            assertThat(Path.of(oldest + ".deleting")).doesNotExist();
            assertThat(spool.batchesDropped()).isEqualTo(1);
        }
    }

    @Test
    void segmentsAreNamedCreatedAndFinishedAsGatekeeperDoes() throws Exception {
        try (AdmissionSpool spool = new AdmissionSpool(root, "audit-channel")) {
            write(spool, 0, 3);
            Path open = only(spool.channelDir(), ".open");
            assertThat(open.getFileName().toString())
                    .matches("admission-\\d{8}T\\d{6}\\.\\d{9}Z-[0-9a-f]{16}\\.open");
            assertThatThrownBy(() -> Flock.exclusive(open)).as("locked while written")
                    .isInstanceOf(LastErrorException.class);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.channelDir())))
                    .isEqualTo("rwxrwx---");
            spool.rotate();
            Path log = only(spool.channelDir(), ".log");
            assertThat(log.getFileName().toString()).isEqualTo(open.getFileName().toString().replace(".open", ".log"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-rw----");
            assertThat(Files.readAllLines(log)).hasSize(3);
            Flock.exclusive(log).close(); // unlocked once finished
            assertThat(spool.segments()).containsExactly(java.util.Map.entry(log, 3L));
        }
    }

    @Test
    void aCrashedSegmentIsRecoveredUpToItsLastWholeLine() throws Exception {
        try (AdmissionSpool spool = new AdmissionSpool(root, "audit-channel")) {
            write(spool, 0, 5);
            Path open = spool.crash("{\"id\":\"half");
            Flock.exclusive(open).close(); // the dead writer's lock is gone
            Path recovered = AdmissionSpool.recover(open);
            assertThat(open).doesNotExist();
            assertThat(recovered.getFileName().toString()).endsWith(".recovered.log");
            List<String> lines = Files.readAllLines(recovered, StandardCharsets.UTF_8);
            assertThat(lines).hasSize(5).allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}"));
        }
    }

    private static long write(AdmissionSpool spool, long seq, int n) throws Exception {
        assertThat(spool.write(batch(seq, n))).isTrue();
        return seq + n;
    }

    private static List<String> batch(long seq, int n) {
        List<String> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            records.add(GatekeeperWriter.admissionViolation("uid-" + seq, seq + i));
        }
        return records;
    }

    private static List<Path> finished(AdmissionSpool spool) throws Exception {
        if (!Files.isDirectory(spool.channelDir())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(spool.channelDir())) {
            return files.filter(f -> f.toString().endsWith(".log")).sorted().toList();
        }
    }

    private static Path only(Path dir, String suffix) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(suffix)).reduce((a, b) -> {
                throw new AssertionError("more than one " + suffix);
            }).orElseThrow();
        }
    }
}
