package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.AbstractList;
import java.util.Map;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.TopicReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How fast the publisher drains a backlog: records of about 1 KB journaled while Kafka was away, then an exporter
 * started on the journal with the broker up. Prints the figure; timing is never asserted (the machine is shared).
 * Run with {@code -Dpublish.drain.records=200000}.
 */
@EnabledIfSystemProperty(named = "publish.drain.records", matches = "\\d+")
class DrainThroughputTest extends InJvmKafkaTest {

    @Test
    void drainsABacklogAndPrintsRecordsPerSecond() throws Exception {
        int records = Integer.getInteger("publish.drain.records");
        String topic = "drain";
        TopicReader.createTopic(bootstrap(), topic, 3);
        JournalFixture.appendRecords(dir, new AbstractList<>() {
            @Override
            public String get(int i) {
                return DecisionRecords.violation(0, i % 100, i);
            }

            @Override
            public int size() {
                return records;
            }
        });
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.journal.max-size", "4GB"))) {
            long started = System.nanoTime();
            double atStart = exporter.metric("decisionlog.records.published");
            long deadline = started + Duration.ofMinutes(5).toNanos();
            while (exporter.metric("decisionlog.backlog.records") > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double published = exporter.metric("decisionlog.records.published");
            System.out.printf("drain: %d records of ~1 KB; %.0f sent during start-up, the remaining %.0f in %.2f s: "
                    + "%.0f records/s (%s cores, load %s)%n", records, atStart, published - atStart, seconds,
                    (published - atStart) / seconds, Runtime.getRuntime().availableProcessors(), load());
            assertThat(exporter.metric("decisionlog.backlog.records")).isZero();
            assertThat(published).isEqualTo(records);
        }
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
