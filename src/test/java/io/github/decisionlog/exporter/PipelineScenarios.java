package io.github.decisionlog.exporter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The pipeline's promises, checked end to end: a real unix socket, a real journal on disk and a real Kafka broker,
 * which each subclass provides.
 */
abstract class PipelineScenarios {

    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Bootstrap servers of the broker under test. */
    abstract String bootstrapServers();

    String newTopic() {
        String topic = "decisions-" + getClass().getSimpleName().toLowerCase() + "-" + TOPICS.incrementAndGet();
        TopicReader.createTopic(bootstrapServers(), topic, 3);
        return topic;
    }

    @Test
    void everyRecordFromConcurrentConnectionsArrivesOnceAndInOrderPerResource() throws Exception {
        String topic = newTopic();
        int producers = 4;
        int perProducer = 25_000;
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrapServers(), topic)) {
            long start = System.nanoTime();
            sendConcurrently(exporter.socket(), producers, perProducer, 0);
            List<ConsumerRecord<byte[], byte[]>> records =
                    TopicReader.readAll(bootstrapServers(), topic, producers * perProducer, Duration.ofSeconds(120));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("end-to-end: %d records of ~1 KB in %.1f s = %.0f records/s%n", records.size(), seconds,
                    records.size() / seconds);

            assertArrivedExactlyOnceInOrder(records, producers, perProducer);
            assertThat(exporter.metric("decisionlog.records.published")).isEqualTo(producers * perProducer);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(exporter.metric("decisionlog.backlog.records")).isZero());
        }
    }

    @Test
    void gracefulRestartInTheMiddleOfAStreamResumesWithoutGapOrDuplicate() throws Exception {
        String topic = newTopic();
        int perProducer = 15_000;
        try (ExporterRun first = ExporterRun.start(dir, bootstrapServers(), topic)) {
            sendConcurrently(first.socket(), 2, perProducer, 0);
            // stopped at once: records are still in the socket buffers, the journal and in flight to Kafka
        }
        try (ExporterRun second = ExporterRun.start(dir, bootstrapServers(), topic)) {
            sendConcurrently(second.socket(), 2, perProducer, perProducer);
            List<ConsumerRecord<byte[], byte[]>> records =
                    TopicReader.readAll(bootstrapServers(), topic, 4 * perProducer, Duration.ofSeconds(120));
            assertArrivedExactlyOnceInOrder(records, 2, 2 * perProducer);
        }
    }

    @Test
    void badLinesAreRejectedWithAReasonWhileTheGoodLinesAroundThemArrive() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrapServers(), topic,
                Map.of("exporter.socket.max-record-size", "4KB"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(DecisionRecords.violation(0, 0, 0));
                producer.sendLine("this is not json");
                producer.sendLine(DecisionRecords.violation(0, 0, 1));
                producer.sendLine("[\"an array\"]");
                producer.sendLine("{\"two\":1}{\"objects\":2}");
                producer.sendLine(DecisionRecords.violation(0, 0, 2));
                producer.sendLine("{\"long\":\"" + "y".repeat(200_000) + "\"}");
                producer.sendLine(DecisionRecords.violation(0, 0, 3));
                producer.send("{\"latin1\":\"caf".getBytes(StandardCharsets.US_ASCII));
                producer.send(new byte[] {(byte) 0xE9, '"', '}', '\n'});
                producer.sendLine("{\"truncated\":");
                producer.sendLine("");
                producer.sendLine(DecisionRecords.violation(0, 0, 4));
            }
            List<ConsumerRecord<byte[], byte[]>> records =
                    TopicReader.readAll(bootstrapServers(), topic, 5, Duration.ofSeconds(30));
            assertThat(records).extracting(r -> seq(r.value())).containsExactly(0L, 1L, 2L, 3L, 4L);
            assertThat(exporter.metric("decisionlog.records.rejected", "reason", "not_json")).isEqualTo(2);
            assertThat(exporter.metric("decisionlog.records.rejected", "reason", "not_object")).isEqualTo(2);
            assertThat(exporter.metric("decisionlog.records.rejected", "reason", "too_large")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.rejected", "reason", "not_utf8")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.appended", "source", "socket")).isEqualTo(5);
        }
    }

    @Test
    void recordsAcceptedWhileKafkaIsUnreachableArriveOnceItIsBack() throws Exception {
        String topic = newTopic();
        Map<String, Object> noBroker = Map.of("spring.kafka.bootstrap-servers", "127.0.0.1:1",
                "spring.kafka.producer.properties.max.block.ms", "500");
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrapServers(), topic, noBroker)) {
            sendConcurrently(exporter.socket(), 2, 1_000, 0);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.journal.appended")).isEqualTo(2_000);
                assertThat(exporter.metric("decisionlog.publish.failures")).isPositive();
                assertThat(exporter.metric("decisionlog.backlog.age")).isPositive();
            });
            assertThat(exporter.metric("decisionlog.backlog.records")).isEqualTo(2_000);
        }
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrapServers(), topic)) {
            List<ConsumerRecord<byte[], byte[]>> records =
                    TopicReader.readAll(bootstrapServers(), topic, 2_000, Duration.ofSeconds(60));
            assertArrivedExactlyOnceInOrder(records, 2, 1_000);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(exporter.metric("decisionlog.backlog.records")).isZero());
        }
    }

    @Test
    void kafkaRecordCarriesTheBytesAsReceivedAKeyPerResourceAndHeaders() throws Exception {
        String topic = newTopic();
        String line = DecisionRecords.violation(7, 3, 42);
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrapServers(), topic)) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(line);
                producer.sendLine("{\"message\":\"no resource\"}");
            }
            List<ConsumerRecord<byte[], byte[]>> records =
                    TopicReader.readAll(bootstrapServers(), topic, 2, Duration.ofSeconds(30));
            assertThat(records).hasSize(2);
            ConsumerRecord<byte[], byte[]> violation = records.stream()
                    .filter(r -> r.key() != null).findFirst().orElseThrow();
            assertThat(new String(violation.value(), StandardCharsets.UTF_8)).isEqualTo(line);
            assertThat(new String(violation.key(), StandardCharsets.UTF_8)).isEqualTo("Pod/team-7/pod-7-3");
            assertThat(TopicReader.header(violation, "event_type")).isEqualTo("violation_audited");
            assertThat(TopicReader.header(violation, "source")).isEqualTo("socket");
            assertThat(TopicReader.header(violation, "record_id")).matches("[0-9a-f]{16}-[0-9a-f]+");
            assertThat(java.time.Instant.parse(TopicReader.header(violation, "received_at")))
                    .isBetween(java.time.Instant.now().minusSeconds(60), java.time.Instant.now());
            ConsumerRecord<byte[], byte[]> other = records.stream()
                    .filter(r -> r.key() == null).findFirst().orElseThrow();
            assertThat(TopicReader.header(other, "event_type")).isNull();
            assertThat(TopicReader.header(other, "record_id")).isNotEqualTo(TopicReader.header(violation, "record_id"));
        }
    }

    /** {@code producers} connections at once, each sending {@code count} records numbered from {@code firstSeq}. */
    static void sendConcurrently(Path socket, int producers, int count, long firstSeq) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(producers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int producer = p;
                done.add(pool.submit(() -> {
                    try (SocketProducer out = new SocketProducer(socket)) {
                        for (long i = 0; i < count; i++) {
                            long seq = firstSeq + i;
                            out.sendLine(DecisionRecords.violation(producer, (int) (seq % 50), seq));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** Every (producer, seq) is there exactly once, with a unique record id, and in order within each key. */
    static void assertArrivedExactlyOnceInOrder(List<ConsumerRecord<byte[], byte[]>> records, int producers,
            int perProducer) {
        Set<String> ids = new HashSet<>();
        Set<String> seen = new HashSet<>();
        Map<String, Long> lastSeqPerKey = new HashMap<>();
        List<String> outOfOrder = new ArrayList<>();
        records.sort(java.util.Comparator.comparingInt(ConsumerRecord<byte[], byte[]>::partition)
                .thenComparingLong(ConsumerRecord::offset));
        for (ConsumerRecord<byte[], byte[]> r : records) {
            JsonNode value = JSON.readTree(r.value());
            long seq = value.path("details").path("seq").asLong();
            int producer = value.path("details").path("producer").asInt();
            seen.add(producer + ":" + seq);
            ids.add(TopicReader.header(r, "record_id"));
            String key = new String(r.key(), StandardCharsets.UTF_8);
            Long previous = lastSeqPerKey.put(key, seq);
            if (previous != null && previous >= seq) {
                outOfOrder.add(key + ": " + previous + " before " + seq);
            }
        }
        assertThat(records).as("records in Kafka").hasSize(producers * perProducer);
        assertThat(seen).as("distinct decisions").hasSize(producers * perProducer);
        assertThat(ids).as("distinct record ids").hasSize(producers * perProducer);
        assertThat(outOfOrder).as("records out of order within a key").isEmpty();
    }

    private static long seq(byte[] value) {
        return JSON.readTree(value).path("details").path("seq").asLong();
    }
}
