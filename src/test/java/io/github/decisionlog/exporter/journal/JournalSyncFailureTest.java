package io.github.decisionlog.exporter.journal;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A failed fsync is counted, reported and tried again; the batch timer never dies of it. */
class JournalSyncFailureTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Journal open(String... settings) {
        Map<String, String> values = new HashMap<>(Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB"));
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        Journal journal = new Journal(TestSettings.exporter(values), registry);
        journal.start();
        return journal;
    }

    private static void append(Journal journal, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        journal.append(new RecordMeta("socket", null, null, null, null, null), b, 0, b.length);
    }

    private double syncFailures() {
        var counter = registry.find("decisionlog.journal.sync.failures").counter();
        return counter == null ? 0 : counter.count();
    }

    /**
     * The channel the timer syncs through is closed under it, as shutdownNow's interrupt of a running force closes
     * it: the failure is counted and shown, and the next tick syncs again.
     */
    @Test
    void theBatchSyncTimerSurvivesAFailedSyncAndSyncsAgain() {
        Journal journal = open("journal.sync", "batch", "journal.sync-interval", "50ms", "journal.sync-every", "1000000");
        append(journal, "{\"n\":1}");
        await().atMost(Duration.ofSeconds(5)).until(() -> journal.unsyncedRecords() == 0);

        journal.fileSyncForTest().closeChannelForTest();
        append(journal, "{\"n\":2}");
        await().atMost(Duration.ofSeconds(5)).until(() -> syncFailures() >= 1);
        assertThat(journal.syncStatus().failures()).isGreaterThanOrEqualTo(1);
        assertThat(journal.syncStatus().lastError()).contains("journal");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(journal.unsyncedRecords()).as("synced again on a later tick").isZero();
            assertThat(journal.syncStatus().failing()).isFalse();
        });
        append(journal, "{\"n\":3}");
        await().atMost(Duration.ofSeconds(5)).until(() -> journal.unsyncedRecords() == 0);
        journal.stop();
    }

    /**
     * Stopping while the timer syncs: the stop waits for the running force instead of interrupting it (an interrupt
     * closes the channel, and the stop's own last sync then failed with ClosedChannelException).
     */
    @Test
    void stoppingWhileTheTimerSyncsLetsTheSyncEnd() {
        for (int round = 0; round < 5; round++) {
            Journal journal = open("journal.sync", "batch", "journal.sync-interval", "1ms", "journal.sync-every",
                    "1000000");
            long until = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < until) {
                append(journal, "{\"pad\":\"" + "p".repeat(1000) + "\"}");
            }
            journal.stop();
            assertThat(journal.syncStatus().failures()).as("round %d", round).isZero();
            assertThat(syncFailures()).isZero();
        }
    }

    /** A roll with sync always: the new file's directory entry is synced too, and nothing fails. */
    @Test
    void theQueueDirectoryIsSyncedAfterARoll() throws Exception {
        Journal journal = open("journal.sync", "always", "journal.roll-cycle", "TEST_SECONDLY");
        append(journal, "{\"n\":1}");
        long before = journal.fileSyncForTest().directorySyncs();
        assertThat(before).as("the first file of this run").isGreaterThanOrEqualTo(1);
        Thread.sleep(1100);
        append(journal, "{\"n\":2}");
        append(journal, "{\"n\":3}");
        assertThat(journal.fileSyncForTest().directorySyncs()).as("once more for the new file").isGreaterThan(before);
        assertThat(syncFailures()).isZero();
        journal.stop();
    }

    @Test
    void aFailedDirectorySyncIsReportedAndTriedAgain() throws Exception {
        File file = Files.writeString(dir.resolve("a.cq4"), "x").toFile();
        Path gone = dir.resolve("gone");
        JournalFileSync sync = new JournalFileSync(gone);
        sync.written(file);
        assertThatThrownBy(sync::force).hasMessageContaining("directory").hasMessageContaining(gone.toString());
        assertThatThrownBy(sync::force).as("still to be synced").hasMessageContaining("directory");
        Files.createDirectory(gone);
        sync.force();
        assertThat(sync.directorySyncs()).isEqualTo(1);
        sync.close();
    }
}
