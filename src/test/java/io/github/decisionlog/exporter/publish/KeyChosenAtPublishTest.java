package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ingest.Channel;
import io.github.decisionlog.exporter.ingest.Intake;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka key is chosen when a record is published, from the keys the journal keeps: records journaled while
 * {@code exporter.publish.key} said one thing are published with the key it says after a restart.
 */
class KeyChosenAtPublishTest {

    @TempDir
    Path dir;

    @Test
    void aChangedKeySettingAppliesToRecordsAlreadyInTheJournal() {
        Map<String, String> journalled = Map.of("journal.dir", dir.toString(), "journal.min-free-disk", "1MB",
                "publish.key", "resource");
        Journal journal = new Journal(TestSettings.exporter(journalled), new SimpleMeterRegistry());
        journal.start();
        Intake intake = new Intake(channel(journal), new SimpleMeterRegistry(), TestSettings.exporter(journalled));
        byte[] record = ("{\"eventType\":\"violation_audited\",\"resourceKind\":\"Pod\",\"resourceNamespace\":\"ns\","
                + "\"resourceName\":\"web-1\",\"constraintKind\":\"K8sRequiredLabels\",\"constraintName\":\"owner\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(intake.offer("socket", record, 0, record.length, null, Intake.plain(null)).accepted()).isTrue();
        journal.stop();

        Journal reopened = new Journal(TestSettings.exporter(journalled), new SimpleMeterRegistry());
        reopened.start();
        List<String> keys = new ArrayList<>();
        try (JournalReader reader = reopened.reader()) {
            JournalEntry entry = reader.next();
            for (String strategy : List.of("constraint", "resource", "record-id", "none")) {
                ExporterProperties publishing = TestSettings.exporter(Map.of("publish.key", strategy));
                byte[] key = new KafkaRecords(publishing.publish()).toRecord(entry).key();
                keys.add(key == null ? null : new String(key, StandardCharsets.UTF_8));
            }
            assertThat(keys).containsExactly("K8sRequiredLabels/owner", "Pod/ns/web-1", entry.recordId(), null);
        } finally {
            reopened.stop();
        }
    }

    private static Channel channel(Journal journal) {
        return new Channel() {
            @Override
            public boolean append(RecordMeta meta, byte[] buf, int off, int len) {
                return journal.append(meta, buf, off, len) != Journal.DROPPED;
            }

            @Override
            public void awaitDurable() {
            }

            @Override
            public void forceToDisk() {
            }
        };
    }
}
