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
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantee 5 on the Kafka side: a record that Kafka refuses for good (here: larger than the topic's
 * {@code max.message.bytes}, and incompressible) must not hold up the pipeline. After the configured attempts it goes
 * to the dead-letter topic with the reason in a header, and the records after it flow. The records read from both
 * topics are counted together.
 */
class PoisonRecordIT extends FaultTest {

    private static final int RECORDS = 3_000;
    private static final int POISON_EVERY = 1_000;

    /**
     * The usual shape: the topic takes records up to 200 KB, more than the producer's batch size, and one record in
     * a thousand is 320 KB of incompressible text.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void poisonRecordGoesToTheDeadLetterTopicAndTheRecordsAfterItFlow() throws Exception {
        refusedRecordsAreDeadLetteredAndTheRestFlows("poisonRecordGoesToTheDeadLetterTopicAndTheRecordsAfterItFlow",
                200 * 1024, 240 * 1024, "RecordTooLarge");
    }

    /**
     * A topic whose {@code max.message.bytes} (16 KB) is below the producer's {@code batch.size}: the Kafka client
     * splits the refused batch into batches of up to {@code batch.size} again and again, so the record never fails
     * as too large; it only expires ({@code TimeoutException}) like a record sent while Kafka is down.
     */
    @Test
    @Disabled("too slow on main b0a3321: the record fails only as TimeoutException while batched with others; "
            + "isolating the head record moves on by one record per delivery timeout until the refused one is at the "
            + "head, so 3 refused records take minutes")
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void poisonRecordOnATopicLimitBelowTheBatchSizeDoesNotBlockThePipeline() throws Exception {
        refusedRecordsAreDeadLetteredAndTheRestFlows(
                "poisonRecordOnATopicLimitBelowTheBatchSizeDoesNotBlockThePipeline", 16 * 1024, 36 * 1024, "",
                "spring.kafka.producer.properties.delivery.timeout.ms", "6000",
                "spring.kafka.producer.properties.request.timeout.ms", "3000");
    }

    private void refusedRecordsAreDeadLetteredAndTheRestFlows(String test, int topicLimit, int noiseBytes,
            String reason, String... settings) throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = "poison";
            String deadLetters = "poison-dead-letters";
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(
                        new NewTopic(topic, 3, (short) 1).configs(Map.of("max.message.bytes",
                                String.valueOf(topicLimit))),
                        new NewTopic(deadLetters, 1, (short) 1))).all().get();
            }
            List<String> all = new ArrayList<>(List.of("exporter.publish.dead-letter-topic", deadLetters,
                    "exporter.publish.poison-attempts", "3"));
            all.addAll(List.of(settings));
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter(all.toArray(String[]::new)))) {
                StreamingProducer producer = new StreamingProducer(0, exporter.socket(), true, RECORDS, 20_000,
                        seq -> line(seq, noiseBytes)).start();
                List<StreamingProducer> producers = List.of(producer);
                try {
                    Faults.awaitDone(producers, Duration.ofSeconds(30));
                    try {
                        Faults.await("backlog", Duration.ofSeconds(45),
                                () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
                    } finally {
                        report(test, broker, topic, deadLetters, exporter, producers);
                    }
                    var metrics = exporter.scrape();
                    List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readAll(broker.bootstrapServers(),
                            deadLetters, poisonCount(), Duration.ofSeconds(10));
                    assertThat(dead).as("records in the dead-letter topic").hasSize(poisonCount());
                    assertThat(dead).allSatisfy(r -> {
                        assertThat(TopicReader.header(r, "dead_letter_reason")).isNotBlank().contains(reason);
                        assertThat(TopicReader.header(r, "record_id")).isNotBlank();
                        assertThat(r.value().length).isGreaterThan(topicLimit);
                    });
                    assertThat(metrics.value("decisionlog_records_dead_lettered_total")).isEqualTo(poisonCount());
                    Tally tally = count(broker, topic, deadLetters, producers);
                    assertThat(tally.accepted()).isEqualTo(RECORDS);
                    assertThat(tally.missing()).isZero();
                    // each attempt sends the records behind the refused one again: duplicates, with their record id
                    assertThat(tally.problems()).isEmpty();
                    assertThat(tally.found(0, RECORDS - 1)).as("the last record, long after the poison").isTrue();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    /** Prints the counts, also when the backlog never drained. */
    private static void report(String test, KafkaBrokerProcess broker, String topic, String deadLetters,
            ExporterProcess exporter, List<StreamingProducer> producers) {
        var metrics = exporter.scrape();
        List<ConsumerRecord<byte[], byte[]>> dead =
                TopicReader.readAll(broker.bootstrapServers(), deadLetters, poisonCount(), Duration.ofSeconds(5));
        Tally.print(String.format("poison: %d refused records sent, %d in the dead-letter topic (reason: %s), "
                + "dead-lettered counter %.0f, publish failures %s, backlog %.0f", poisonCount(), dead.size(),
                dead.isEmpty() ? "-" : TopicReader.header(dead.get(0), "dead_letter_reason"),
                metrics.value("decisionlog_records_dead_lettered_total"),
                metrics.series().entrySet().stream().filter(e -> e.getKey().startsWith("decisionlog_publish_failures"))
                        .map(e -> e.getKey().replace("decisionlog_publish_failures_total", "") + "=" + e.getValue())
                        .toList(),
                metrics.value("decisionlog_backlog_records")));
        count(broker, topic, deadLetters, producers).summary(test + " (main + dead-letter topic)");
    }

    private static Tally count(KafkaBrokerProcess broker, String topic, String deadLetters,
            List<StreamingProducer> producers) {
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>(
                TopicReader.readAll(broker.bootstrapServers(), deadLetters, poisonCount(), Duration.ofSeconds(5)));
        all.addAll(TopicReader.readAll(broker.bootstrapServers(), topic, RECORDS - poisonCount(),
                Duration.ofSeconds(15)));
        return Tally.of(all, producers);
    }

    private static int poisonCount() {
        return RECORDS / POISON_EVERY;
    }

    /** Every 1000th record (seq 500, 1500, ...) carries random text (base64), which no compression shrinks enough. */
    private static String line(long seq, int noiseBytes) {
        String normal = DecisionRecords.violation(0, (int) (seq % 50), seq);
        if (seq % POISON_EVERY != POISON_EVERY / 2) {
            return normal;
        }
        byte[] noise = new byte[noiseBytes];
        new Random(seq).nextBytes(noise);
        return normal.substring(0, normal.length() - 1) + ",\"blob\":\"" + Base64.getEncoder().encodeToString(noise)
                + "\"}";
    }
}
