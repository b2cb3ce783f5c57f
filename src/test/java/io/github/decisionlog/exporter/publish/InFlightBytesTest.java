package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The window of records in flight is bounded in bytes as well as in records, below the producer's
 * {@code buffer.memory}: with records of about 1 MB, 8,192 of them would need 8 GB of the producer's 32 MB buffer, so
 * {@code send} would block, and after {@code max.block.ms} fail with {@code BufferExhaustedException}, which sent the
 * whole window again as duplicates. And a stop waits for the publisher, however long the client blocks it.
 */
class InFlightBytesTest extends InJvmKafkaTest {

    private static final int RECORDS = 96;

    private static List<String> megabyteRecords() {
        Random random = new Random(7);
        return IntStream.range(0, RECORDS).mapToObj(i -> {
            byte[] noise = new byte[500_000]; // 1,000,000 hex characters: incompressible for lz4
            random.nextBytes(noise);
            return "{\"n\":" + i + ",\"blob\":\"" + HexFormat.of().formatHex(noise) + "\"}";
        }).toList();
    }

    private static double producerMetric(ExporterRun exporter, String name) {
        @SuppressWarnings("unchecked")
        KafkaTemplate<byte[], byte[]> kafka = exporter.bean(KafkaTemplate.class);
        Map<MetricName, ? extends Metric> metrics = kafka.getProducerFactory().createProducer().metrics();
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    @Test
    void megabyteRecordsNeverExhaustTheProducerBufferAndArriveOnceEach() {
        String topic = "megabyte-records";
        TopicReader.createTopic(bootstrap(), topic, 1);
        JournalFixture.appendRecords(dir, megabyteRecords()); // a backlog, as after a Kafka outage
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.max-in-flight", "8192",
                        "spring.kafka.producer.properties.max.block.ms", "100"))) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(exporter.metric("decisionlog.backlog.records")).isZero());
            List<ConsumerRecord<byte[], byte[]>> got = TopicReader.readAll(bootstrap(), topic, RECORDS,
                    Duration.ofSeconds(60));
            Set<String> ids = got.stream().map(r -> TopicReader.header(r, "record_id")).collect(Collectors.toSet());
            System.out.printf("in-flight bytes: %d records sent, %d distinct, buffer pool waits %.0f ns, "
                    + "BufferExhaustedException %.0f%n", got.size(), ids.size(),
                    producerMetric(exporter, "bufferpool-wait-time-ns-total"),
                    exporter.metric("decisionlog.publish.failures", "reason", "BufferExhaustedException"));
            assertThat(ids).hasSize(RECORDS);
            assertThat(got).as("no duplicates").hasSize(RECORDS);
            assertThat(exporter.metric("decisionlog.publish.failures", "reason", "BufferExhaustedException")).isZero();
            assertThat(producerMetric(exporter, "bufferpool-wait-time-ns-total"))
                    .as("send never waited for room in the producer's buffer").isZero();
        }
    }

    @Test
    void stopWaitsForThePublisherHoweverLongTheKafkaClientBlocksIt() throws Exception {
        JournalFixture.appendRecords(dir, List.of("{\"n\":1}", "{\"n\":2}"));
        try (LogCapture journalLog = new LogCapture("io.github.decisionlog.exporter.journal")) {
            ExporterRun exporter = ExporterRun.start(dir, "127.0.0.1:1", "nowhere",
                    Map.of("spring.kafka.producer.properties.max.block.ms", "25000",
                            "exporter.publish.drain-timeout", "1s", "exporter.publish.close-timeout", "1s"));
            Thread.sleep(1500); // the publisher is now inside send(), waiting for metadata that never comes
            Thread publisher = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("publisher")).findFirst().orElseThrow();
            AtomicLong endedAt = new AtomicLong();
            Thread watcher = new Thread(() -> {
                try {
                    publisher.join();
                    endedAt.set(System.currentTimeMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            watcher.start();
            long started = System.nanoTime();
            exporter.close();
            double seconds = (System.nanoTime() - started) / 1e9;
            watcher.join(30_000);
            long journalClosedAt = journalLog.firstAt("Journal closed");
            assertThat(endedAt.get()).as("the publisher's thread ended").isPositive();
            assertThat(journalClosedAt).as("the journal closed").isPositive();
            assertThat(endedAt.get()).as("the publisher's thread ended before the journal closed")
                    .isLessThanOrEqualTo(journalClosedAt);
            assertThat(seconds).as("the stop woke the blocked send instead of waiting for max.block.ms").isLessThan(20);
        }
    }
}
