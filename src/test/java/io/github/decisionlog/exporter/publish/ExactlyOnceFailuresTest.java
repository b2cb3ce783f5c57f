package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The error paths of exactly-once delivery that a healthy broker can provoke: a transaction that ran past its
 * {@code transaction.timeout.ms} (the coordinator aborts it and bumps the producer's epoch, as after a long outage),
 * and a dead-letter topic that refuses a copy for good inside a transaction. The broker is this class's own: it
 * creates no topics by itself and looks for timed-out transactions every 100 ms instead of every 10 s.
 */
class ExactlyOnceFailuresTest extends OwnBrokerTest {

    private static Map<String, Object> exactlyOnce(String offsetsTopic, String... extra) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("exporter.publish.delivery", "exactly-once");
        s.put("exporter.publish.offsets-topic", offsetsTopic);
        for (int i = 0; i + 1 < extra.length; i += 2) {
            s.put(extra[i], extra[i + 1]);
        }
        return s;
    }

    /**
     * Each transaction stays open 2.5 s ({@code transaction-interval}) against a {@code transaction.timeout.ms} of 1 s:
     * the coordinator aborts it and bumps the producer's epoch, and the commit is refused
     * ({@code InvalidProducerEpochException}). That is not another exporter taking over: the exporter aborts, sends the
     * transaction again from its first record (its first record alone first, which commits at once) and goes on.
     */
    @Test
    void aTransactionThatTimedOutIsAbortedAndSentAgainFromItsFirstRecord() throws Exception {
        createTopic("eos-timeout", 1 << 20);
        Map<String, Object> settings = exactlyOnce("offsets-timeout",
                "exporter.publish.transaction-interval", "2500ms",
                "spring.kafka.producer.properties.transaction.timeout.ms", "1000",
                "exporter.publish.retry-initial-backoff", "50ms", "exporter.publish.retry-max-backoff", "100ms");
        try (LogCapture logs = new LogCapture();
                ExporterRun exporter = ExporterRun.start(dir, bootstrap(), "eos-timeout", settings)) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("{\"n\":0}");
                producer.sendLine("{\"n\":1}");
            }
            await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.publish.transactions", "outcome", "aborted")).isPositive();
                assertThat(exporter.metric("decisionlog.records.published")).isEqualTo(2);
            });
            assertThat(exporter.bean(Publisher.class).stoppedReason()).as("not taken for fencing").isNull();
            assertThat(logs.lines()).noneMatch(l -> l.contains("Publishing stopped"));
            assertThat(logs.lines()).anyMatch(l -> l.contains("InvalidProducerEpochException"));
        }
        assertExactlyOnce("eos-timeout", 2);
    }

    /**
     * A record the topic refuses for good goes to the dead-letter topic; that one refuses its copy for good too. As
     * with at-least-once delivery the record is then dropped, counted and logged, and the records of the transaction
     * around it reach the topic once each, and so do the records after it.
     */
    @Test
    void aDeadLetterTopicThatRefusesTheCopyForGoodDropsItAndTheRestOfTheTransactionIsCommittedOnce()
            throws Exception {
        createTopic("eos-refusing", 4096);
        createTopic("eos-refusing-dead-letters", 4096);
        Map<String, Object> settings = exactlyOnce("offsets-refusing",
                "exporter.publish.dead-letter-topic", "eos-refusing-dead-letters",
                "exporter.publish.poison-attempts", "1",
                "spring.kafka.producer.properties.max.block.ms", "1000",
                "spring.kafka.producer.properties.delivery.timeout.ms", "3000",
                "spring.kafka.producer.properties.request.timeout.ms", "1000");
        try (LogCapture logs = new LogCapture();
                ExporterRun exporter = ExporterRun.start(dir, bootstrap(), "eos-refusing", settings)) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("{\"n\":0}");
                producer.sendLine(tooLarge());
                producer.sendLine("{\"n\":1}");
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.records.dropped", "reason", "poison")).isEqualTo(1);
                assertThat(exporter.metric("decisionlog.records.published")).isEqualTo(2);
            });
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("{\"n\":2}");
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(
                    () -> assertThat(exporter.metric("decisionlog.records.published")).isEqualTo(3));
            assertThat(exporter.metric("decisionlog.dead.letter.failures", "outcome", "dropped")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.dead.letter.failures", "outcome", "retried")).isZero();
            assertThat(logs.lines()).anyMatch(l -> l.contains("the dead-letter topic eos-refusing-dead-letters "
                    + "refused it too"));
        }
        List<ConsumerRecord<byte[], byte[]>> records = assertExactlyOnce("eos-refusing", 3);
        assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}");
        assertThat(TopicReader.readAll(bootstrap(), "eos-refusing-dead-letters", 0, Duration.ofSeconds(5),
                "read_committed")).isEmpty();
    }

    private static List<ConsumerRecord<byte[], byte[]>> assertExactlyOnce(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, expected,
                Duration.ofSeconds(20), "read_committed");
        assertThat(records).hasSize(expected);
        assertThat(records.stream().map(r -> TopicReader.header(r, "record_id")).distinct()).hasSize(expected);
        return records;
    }
}
