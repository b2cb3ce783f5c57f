package io.github.decisionlog.exporter.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantee 5 on the Kafka side: a record that Kafka refuses for good (here: larger than the topic's
 * {@code max.message.bytes}, and incompressible) must not hold up the pipeline. After the configured attempts it goes
 * to the dead-letter topic with the reason in a header, and the records after it flow.
 */
class PoisonRecordIT extends FaultTest {

    private static final int RECORDS = 3_000;
    private static final int POISON_EVERY = 1_000;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void poisonRecordGoesToTheDeadLetterTopicAndTheRecordsAfterItFlow() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = "poison";
            String deadLetters = "poison-dead-letters";
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(
                        new NewTopic(topic, 3, (short) 1).configs(Map.of("max.message.bytes", "16384")),
                        new NewTopic(deadLetters, 1, (short) 1))).all().get();
            }
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter("exporter.publish.dead-letter-topic", deadLetters,
                            "exporter.publish.poison-attempts", "3"))) {
                StreamingProducer producer = new StreamingProducer(0, exporter.socket(), true, RECORDS, 20_000,
                        PoisonRecordIT::line).start();
                List<StreamingProducer> producers = List.of(producer);
                try {
                    Faults.awaitDone(producers, Duration.ofSeconds(30));
                    Faults.await("backlog", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
                    var metrics = exporter.scrape();

                    List<ConsumerRecord<byte[], byte[]>> dead =
                            TopicReader.readAll(broker.bootstrapServers(), deadLetters, poisonCount(), Duration.ofSeconds(30));
                    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>(dead);
                    all.addAll(TopicReader.readAll(broker.bootstrapServers(), topic, RECORDS - poisonCount(),
                            Duration.ofSeconds(30)));
                    Tally tally = Tally.of(all, producers);
                    Tally.print(String.format("poison: %d over max.message.bytes sent, %d in the dead-letter topic "
                            + "(reason: %s), dead-lettered counter %.0f, publish failures %.0f", poisonCount(),
                            dead.size(), dead.isEmpty() ? "-" : TopicReader.header(dead.get(0), "dead_letter_reason"),
                            metrics.value("decisionlog_records_dead_lettered_total"),
                            metrics.value("decisionlog_publish_failures_total")));
                    tally.summary("poisonRecordGoesToTheDeadLetterTopicAndTheRecordsAfterItFlow (main + dead-letter "
                            + "topic)");

                    assertThat(dead).as("records in the dead-letter topic").hasSize(poisonCount());
                    assertThat(dead).allSatisfy(r -> {
                        assertThat(TopicReader.header(r, "dead_letter_reason")).contains("RecordTooLarge");
                        assertThat(TopicReader.header(r, "record_id")).isNotBlank();
                        assertThat(r.value().length).isGreaterThan(16384);
                    });
                    assertThat(metrics.value("decisionlog_records_dead_lettered_total")).isEqualTo(poisonCount());
                    assertThat(tally.accepted()).isEqualTo(RECORDS);
                    assertThat(tally.missing()).isZero();
                    assertThat(tally.duplicates()).isZero();
                    assertThat(tally.found(0, RECORDS - 1)).as("the last record, long after the poison").isTrue();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    private static int poisonCount() {
        return RECORDS / POISON_EVERY;
    }

    /** Every 1000th record (seq 500, 1500, ...) carries 48 KB of random text, which no compression shrinks enough. */
    private static String line(long seq) {
        String normal = DecisionRecords.violation(0, (int) (seq % 50), seq);
        if (seq % POISON_EVERY != POISON_EVERY / 2) {
            return normal;
        }
        byte[] noise = new byte[36 * 1024];
        new Random(seq).nextBytes(noise);
        return normal.substring(0, normal.length() - 1) + ",\"blob\":\"" + Base64.getEncoder().encodeToString(noise)
                + "\"}";
    }
}
