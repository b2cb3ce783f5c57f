package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A dead-letter topic that fails is said and counted: one that refuses the record for good, and one that does not
 * exist on a broker that creates no topics by itself. The broker here is this class's own, with auto-creation off.
 */
class DeadLetterFailuresTest extends OwnBrokerTest {

    private static Map<String, Object> settings(String deadLetterTopic) {
        return Map.of("exporter.publish.dead-letter-topic", deadLetterTopic, "exporter.publish.poison-attempts", "1",
                "spring.kafka.producer.properties.max.block.ms", "1000",
                "spring.kafka.producer.properties.delivery.timeout.ms", "3000",
                "spring.kafka.producer.properties.request.timeout.ms", "1000");
    }

    @Test
    void aDeadLetterTopicThatRefusesTheRecordIsCountedAndTheRecordDroppedSoTheRestFlow() throws Exception {
        createTopic("refusing", 4096);
        createTopic("refusing-dead-letters", 4096);
        try (LogCapture logs = new LogCapture();
                ExporterRun exporter = ExporterRun.start(dir, bootstrap(), "refusing", settings("refusing-dead-letters"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(tooLarge());
                producer.sendLine("{\"n\":1}");
            }
            assertThat(TopicReader.readAll(bootstrap(), "refusing", 1, Duration.ofSeconds(30))).hasSize(1);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.dead.letter.failures", "outcome", "dropped"))
                        .isGreaterThanOrEqualTo(1);
                assertThat(exporter.metric("decisionlog.records.dropped", "reason", "poison")).isEqualTo(1);
            });
            assertThat(logs.lines()).anyMatch(l -> l.contains("dead-letter topic refusing-dead-letters"));
        }
    }

    @Test
    void aMissingDeadLetterTopicIsLoggedAndCountedAndTheRecordWaitsUntilItExists() throws Exception {
        createTopic("missing-dlt", 4096);
        try (LogCapture logs = new LogCapture();
                ExporterRun exporter = ExporterRun.start(dir, bootstrap(), "missing-dlt", settings("not-there"))) {
            String big = tooLarge();
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(big);
                producer.sendLine("{\"n\":1}");
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.dead.letter.failures", "outcome", "retried")).isGreaterThanOrEqualTo(1);
                assertThat(logs.lines()).anyMatch(l -> l.startsWith("WARN") && l.contains("dead-letter topic not-there"));
            });
            // nothing is lost: the record waits in the journal, and goes to the topic once it exists
            assertThat(exporter.metric("decisionlog.records.dropped", "reason", "poison")).isZero();
            createTopic("not-there", 1 << 20);
            var dead = TopicReader.readAll(bootstrap(), "not-there", 1, Duration.ofSeconds(30));
            assertThat(dead).hasSize(1);
            assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo(big);
            // the record after it arrives; a retry may send it again (at least once), with the same record id
            var decisions = TopicReader.readAll(bootstrap(), "missing-dlt", 1, Duration.ofSeconds(30));
            assertThat(decisions).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .isNotEmpty().containsOnly("{\"n\":1}");
            assertThat(decisions.stream().map(r -> new String(r.headers().lastHeader("record_id").value(),
                    StandardCharsets.UTF_8)).distinct().count()).as("record ids").isEqualTo(1);
            long lines = logs.lines().stream().filter(l -> l.contains("Could not send")).count();
            assertThat(lines).as("one line per 30 s at most").isEqualTo(1);
        }
    }
}
