package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Guarantee 5 on the journal side: an entry that cannot be decoded (a damaged disk, a bug in an older exporter) must
 * not stop publishing. It goes to the dead-letter topic as its raw bytes, or is counted as dropped, and the records
 * behind it flow; the publisher never ends on it (liveness would restart the exporter onto the same entry).
 */
class UndecodableEntryTest extends InJvmKafkaTest {

    private static List<String> records(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "{\"n\":" + i + "}").toList();
    }

    /** Five good records, an entry of an unknown format, five good, an entry longer than it says, five good. */
    private void damagedJournal() {
        JournalFixture.appendRecords(dir, records(0, 5));
        JournalFixture.appendRaw(dir, JournalFixture.unknownFormat());
        JournalFixture.appendRecords(dir, records(5, 10));
        JournalFixture.appendRaw(dir, JournalFixture.payloadLongerThanEntry());
        JournalFixture.appendRecords(dir, records(10, 15));
    }

    @Test
    void anUndecodableEntryGoesToTheDeadLetterTopicRawAndTheRecordsBehindItFlow() {
        damagedJournal();
        String topic = "undecodable";
        TopicReader.createTopic(bootstrap(), topic, 1);
        TopicReader.createTopic(bootstrap(), "undecodable-dead-letters", 1);
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.dead-letter-topic", "undecodable-dead-letters"))) {
            List<ConsumerRecord<byte[], byte[]>> good = TopicReader.readAll(bootstrap(), topic, 15,
                    Duration.ofSeconds(30));
            assertThat(good).extracting(r -> new String(r.value())).containsExactlyElementsOf(records(0, 15));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readAll(bootstrap(), "undecodable-dead-letters", 2,
                    Duration.ofSeconds(10));
            assertThat(dead).hasSize(2);
            assertThat(dead.get(0).value()).isEqualTo(JournalFixture.unknownFormat());
            assertThat(dead.get(1).value()).isEqualTo(JournalFixture.payloadLongerThanEntry());
            assertThat(dead).allSatisfy(r -> {
                assertThat(TopicReader.header(r, "dead_letter_reason")).startsWith("undecodable");
                assertThat(TopicReader.header(r, "journal_index")).matches("[0-9a-f]+");
            });
            assertThat(exporter.metric("decisionlog.records.dead.lettered", "reason", "undecodable")).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(exporter.metric("decisionlog.backlog.records")).isZero());
            assertThat(exporter.bean(Publisher.class).isAlive()).isTrue();
        }
    }

    @Test
    void withoutADeadLetterTopicAnUndecodableEntryIsCountedAsDroppedLoggedWithItsIndexAndTheRestFlow() {
        damagedJournal();
        String topic = "undecodable-no-dlt";
        TopicReader.createTopic(bootstrap(), topic, 1);
        try (LogCapture logs = new LogCapture();
                ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic)) {
            List<ConsumerRecord<byte[], byte[]>> good = TopicReader.readAll(bootstrap(), topic, 15,
                    Duration.ofSeconds(30));
            assertThat(good).extracting(r -> new String(r.value())).containsExactlyElementsOf(records(0, 15));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.backlog.records")).isZero();
                assertThat(exporter.metric("decisionlog.records.dropped", "reason", "undecodable")).isEqualTo(2);
            });
            List<String> dropped = new ArrayList<>(logs.lines().stream()
                    .filter(l -> l.contains("cannot be decoded")).toList());
            assertThat(dropped).hasSize(2).allMatch(l -> l.matches("(?s).*journal index [0-9a-f]+.*"));
            assertThat(exporter.bean(Publisher.class).isAlive()).isTrue();
        }
    }
}
