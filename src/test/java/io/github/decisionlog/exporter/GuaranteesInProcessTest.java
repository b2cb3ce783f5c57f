package io.github.decisionlog.exporter;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;


import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Guarantees that need no process to be killed, checked against an exporter and a KRaft broker in this JVM: the
 * acknowledged-ingest protocol, poison records, and the full-journal policies.
 */
class GuaranteesInProcessTest extends InJvmKafkaTest {

    /** A Kafka that never answers: nothing gets acknowledged, so the journal only fills. */
    private static final String UNREACHABLE = "127.0.0.1:1";

    @Test
    void acknowledgedIngestReportsRefusedLinesAndCountsEveryLine() throws Exception {
        String topic = "acked";
        TopicReader.createTopic(bootstrap(), topic, 1);
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.socket.acknowledge", "true", "exporter.journal.sync", "batch"));
                AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
            OutputStream out = socket.getOutputStream();
            BufferedReader replies = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String lines = DecisionRecords.violation(0, 0, 0) + "\nnot json\n" + DecisionRecords.violation(0, 0, 1)
                    + "\n[1]\n";
            out.write(lines.getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> got = new ArrayList<>();
            String line;
            while ((line = replies.readLine()) != null) {
                got.add(line);
                if (line.equals("ack 4")) {
                    break;
                }
            }
            assertThat(got).containsSubsequence("rejected 2 not_json", "rejected 4 not_object", "ack 4");
            assertThat(got).allMatch(l -> l.matches("(ack \\d+|rejected \\d+ [a-z_]+)"));
            assertThat(exporter.metric("decisionlog.journal.appended")).isEqualTo(2);
        }
    }

    @Test
    void aRecordKafkaRefusesForGoodIsDeadLetteredAndTheRecordsBehindItFlow() throws Exception {
        String topic = "small-records";
        createTopicWithMaxMessageBytes(topic, 4096);
        TopicReader.createTopic(bootstrap(), "dead-letters", 1);
        String big = "{\"resourceKind\":\"Pod\",\"resourceName\":\"huge\",\"blob\":\"" + incompressible(20_000) + "\"}";
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.dead-letter-topic", "dead-letters", "exporter.publish.poison-attempts", "2",
                        "spring.kafka.producer.properties.delivery.timeout.ms", "5000",
                        "spring.kafka.producer.properties.request.timeout.ms", "2000"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("{\"resourceKind\":\"Pod\",\"resourceName\":\"p\",\"n\":0}");
                producer.sendLine(big);
                for (int i = 1; i <= 20; i++) {
                    producer.sendLine("{\"resourceKind\":\"Pod\",\"resourceName\":\"p\",\"n\":" + i + "}");
                }
            }
            List<ConsumerRecord<byte[], byte[]>> good = TopicReader.readAll(bootstrap(), topic, 21, Duration.ofSeconds(60));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readAll(bootstrap(), "dead-letters", 1,
                    Duration.ofSeconds(30));
            assertThat(good.stream().map(r -> TopicReader.header(r, "record_id")).distinct()).hasSize(21);
            assertThat(dead).hasSize(1);
            assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo(big);
            assertThat(TopicReader.header(dead.get(0), "dead_letter_reason")).contains("RecordTooLargeException");
            assertThat(TopicReader.header(dead.get(0), "record_id")).isNotBlank();
            assertThat(exporter.metric("decisionlog.records.dead.lettered")).isEqualTo(1);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(exporter.metric("decisionlog.backlog.records")).isZero());
        }
    }

    @Test
    void withoutADeadLetterTopicAPoisonRecordIsCountedAsDroppedAndTheRestFlow() throws Exception {
        String topic = "small-records-no-dlt";
        createTopicWithMaxMessageBytes(topic, 4096);
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.poison-attempts", "1"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("{\"blob\":\"" + incompressible(20_000) + "\"}");
                producer.sendLine("{\"n\":1}");
            }
            assertThat(TopicReader.readAll(bootstrap(), topic, 1, Duration.ofSeconds(60))).hasSize(1);
            assertThat(exporter.metric("decisionlog.records.dropped", "reason", "poison")).isEqualTo(1);
        }
    }

    @Test
    void aFullJournalWithTheDropPolicyCountsEveryDropAndTellsTheProducer() throws Exception {
        String record = "{\"pad\":\"" + "p".repeat(500_000) + "\"}\n";
        int records = 120; // 60 MB against a 64 MB cap: the journal fills before the last ones
        try (ExporterRun exporter = ExporterRun.start(dir, UNREACHABLE, "dropped",
                Map.of("exporter.journal.max-size", "64MB", "exporter.journal.when-full", "drop",
                        "exporter.socket.acknowledge", "true", "spring.kafka.producer.properties.max.block.ms", "200"));
                AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < records; i++) {
                        out.write(record.getBytes(StandardCharsets.UTF_8));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            BufferedReader replies = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            List<String> rejected = new ArrayList<>();
            String line;
            while ((line = replies.readLine()) != null && !line.equals("ack " + records)) {
                if (line.startsWith("rejected")) {
                    rejected.add(line);
                }
            }
            writer.get();
            // Kafka is unreachable: the records that fit are journaled, the rest are dropped and the producer told
            assertThat(rejected).isNotEmpty().allMatch(r -> r.endsWith(" journal_full"));
            double appended = exporter.metric("decisionlog.journal.appended");
            assertThat(appended + rejected.size()).isEqualTo(records);
            assertThat(appended).as("most of the 64 MB cap holds records").isGreaterThan(60);
            assertThat(exporter.metric("decisionlog.records.dropped", "reason", "journal_full")).isEqualTo(rejected.size());
            assertThat(exporter.metric("decisionlog.journal.full")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.journal.size")).isLessThanOrEqualTo(64 << 20);
        }
    }

    @Test
    void aFullJournalWithTheDefaultPolicyStopsReadingInsteadOfDroppingAndStaysReady() throws Exception {
        try (ExporterRun exporter = ExporterRun.start(dir, UNREACHABLE, "blocked",
                Map.of("exporter.journal.max-size", "64MB", "spring.kafka.producer.properties.max.block.ms", "200"))) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                    for (int i = 0; i < 200_000; i++) {
                        producer.sendLine(DecisionRecords.violation(0, i % 10, i));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> assertThat(exporter.metric("decisionlog.journal.full")).isEqualTo(1));
            double appended = exporter.metric("decisionlog.journal.appended");
            Thread.sleep(1000);
            assertThat(writer).as("the producer is held back by the full socket buffer").isNotDone();
            // a measurement of the files after the first refusal may still find room for a few records (between
            // measurements the estimate errs towards full: pages touched ahead are measured, then appended into),
            // never for more than a little
            assertThat(exporter.metric("decisionlog.journal.appended") - appended).isLessThan(1000);
            assertThat(exporter.metric("decisionlog.records.dropped")).isZero();
            assertThat(exporter.metric("decisionlog.journal.size")).isLessThanOrEqualTo(64 << 20);
            // a full journal never takes the pod out of its Service: in the webhook pods every replica fills at once
            var readiness = exporter.get("/actuator/health/readiness");
            assertThat(readiness.statusCode()).isEqualTo(200);
            assertThat(readiness.body()).contains("\"UP\"");
            assertThat(exporter.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
            assertThat(exporter.get("/actuator/health").body()).contains("\"journalFull\":true");
            writer.cancel(true);
        }
    }

    /** Random hex: the producer compresses batches, so a record made to be too large must not shrink. */
    private static String incompressible(int length) {
        byte[] random = new byte[length / 2];
        new java.util.Random(42).nextBytes(random);
        return java.util.HexFormat.of().formatHex(random);
    }

    private static void createTopicWithMaxMessageBytes(String topic, int maxBytes)
            throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(maxBytes))))).all().get();
        }
    }
}
