package io.github.decisionlog.exporter;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The input contract and what consumers get, end to end against a KRaft broker in this JVM: datagrams, filters,
 * dead letters for refused records, key strategies and CloudEvents headers.
 */
class InputContractTest extends InJvmKafkaTest {

    @Test
    void datagramsArriveAsTheyWereSentAndOverLongOnesAreRejected() throws Exception {
        String topic = "datagrams";
        TopicReader.createTopic(bootstrap(), topic, 1);
        Path datagrams = dir.resolve("decisions.dgram");
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.datagram.enabled", "true", "exporter.datagram.path", datagrams.toString(),
                        "exporter.datagram.max-record-size", "2KB", "exporter.socket.enabled", "false"))) {
            for (int i = 0; i < 100; i++) {
                DataProtectionTest.sendDatagram(datagrams, DecisionRecords.violation(1, i % 7, i));
            }
            DataProtectionTest.sendDatagram(datagrams, "{\"big\":\"" + "y".repeat(4000) + "\"}");
            DataProtectionTest.sendDatagram(datagrams, "not json");
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 100,
                    Duration.ofSeconds(60));

            assertThat(records).hasSize(100);
            for (int i = 0; i < 100; i++) {
                assertThat(new String(records.get(i).value(), StandardCharsets.UTF_8))
                        .isEqualTo(DecisionRecords.violation(1, i % 7, i));
                assertThat(TopicReader.header(records.get(i), "source")).isEqualTo("datagram");
            }
            assertThat(exporter.metric("decisionlog.records.rejected", "source", "datagram", "reason", "too_large"))
                    .isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.rejected", "source", "datagram", "reason", "not_json"))
                    .isEqualTo(1);
        }
    }

    @Test
    void filtersDropAndCountRecordsAndAcknowledgedProducersHearNoRefusal() throws Exception {
        String topic = "filtered";
        TopicReader.createTopic(bootstrap(), topic, 1);
        String deny = DecisionRecords.violation(0, 0, 0);
        String dryrun = DecisionRecords.violation(0, 0, 1).replace("\"enforcementAction\":\"deny\"",
                "\"enforcementAction\":\"dryrun\"");
        String control = "{\"id\":\"2026-11-27T03:00:00Z\",\"message\":\"audit is started\"}";
        String admission = "{\"eventType\":\"violation_admission\",\"constraintAction\":\"deny\",\"n\":3}";
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.filter.enforcement-actions", "deny",
                        "exporter.filter.event-types", "violation_audited,violation_admission",
                        "exporter.socket.acknowledge", "true"));
                AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
            OutputStream out = socket.getOutputStream();
            out.write((deny + "\n" + dryrun + "\n" + control + "\n" + admission + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader replies = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            List<String> got = new ArrayList<>();
            String line;
            while ((line = replies.readLine()) != null) {
                got.add(line);
                if (line.equals("ack 4")) {
                    break;
                }
            }
            assertThat(got).contains("ack 4").noneMatch(l -> l.startsWith("rejected"));
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 2,
                    Duration.ofSeconds(60));
            assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly(deny, admission);
            assertThat(exporter.metric("decisionlog.records.filtered", "reason", "enforcement_action")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.filtered", "reason", "event_type")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.rejected")).isZero();
        }
    }

    @Test
    void refusedRecordsReachTheRejectsTopicRawWithTheirReason() throws Exception {
        String topic = "accepted";
        TopicReader.createTopic(bootstrap(), topic, 1);
        TopicReader.createTopic(bootstrap(), "rejects", 1);
        String tooLong = "{\"long\":\"" + "z".repeat(1000) + "\"}";
        byte[] notUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.rejects-topic", "rejects", "exporter.socket.max-record-size", "256B"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("not json");
                producer.send(notUtf8);
                producer.sendLine("");
                producer.sendLine(tooLong);
                producer.sendLine("[1,2]");
                producer.sendLine("{\"fine\":true}");
            }
            List<ConsumerRecord<byte[], byte[]>> rejects = TopicReader.readAll(bootstrap(), "rejects", 4,
                    Duration.ofSeconds(60));
            List<ConsumerRecord<byte[], byte[]>> accepted = TopicReader.readAll(bootstrap(), topic, 1,
                    Duration.ofSeconds(30));

            assertThat(accepted).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("{\"fine\":true}");
            assertThat(rejects).extracting(r -> TopicReader.header(r, "reject_reason"))
                    .containsExactly("not_json", "not_utf8", "too_large", "not_object");
            assertThat(new String(rejects.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("not json");
            assertThat(rejects.get(1).value()).isEqualTo(notUtf8);
            assertThat(new String(rejects.get(2).value(), StandardCharsets.UTF_8))
                    .as("cut to max-record-size").isEqualTo(tooLong.substring(0, 256));
            assertThat(new String(rejects.get(3).value(), StandardCharsets.UTF_8)).isEqualTo("[1,2]");
            assertThat(rejects).allSatisfy(r -> {
                assertThat(TopicReader.header(r, "record_id")).isNotBlank();
                assertThat(TopicReader.header(r, "source")).isEqualTo("socket");
                assertThat(r.key()).isNull();
            });
        }
    }

    @Test
    void cloudEventsHeadersAreReadByTheCloudEventsSdkAndTheKeyIsTheConstraint() throws Exception {
        String topic = "cloudevents";
        TopicReader.createTopic(bootstrap(), topic, 1);
        String violation = DecisionRecords.violation(2, 3, 4);
        String control = "{\"id\":\"2026-11-27T03:00:00Z\",\"message\":\"audit is completed\"}";
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.headers", "cloudevents", "exporter.publish.key", "constraint"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(violation);
                producer.sendLine(control);
                producer.sendLine(DecisionRecords.secretAdmission("ce"));
            }
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 3,
                    Duration.ofSeconds(60));
            assertThat(records).hasSize(3);

            List<CloudEvent> events = new ArrayList<>();
            try (CloudEventDeserializer deserializer = new CloudEventDeserializer()) {
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    events.add(deserializer.deserialize(topic, r.headers(), r.value()));
                }
            }
            CloudEvent first = events.get(0);
            assertThat(first.getSpecVersion()).isEqualTo(SpecVersion.V1);
            assertThat(first.getType()).isEqualTo("sh.gatekeeper.violation_audited");
            assertThat(first.getSource()).isEqualTo(URI.create("/decision-log-exporter/socket"));
            assertThat(first.getDataContentType()).isEqualTo("application/json");
            assertThat(first.getTime()).isCloseTo(OffsetDateTime.now(), within(Duration.ofMinutes(1).toMillis(),
                    java.time.temporal.ChronoUnit.MILLIS));
            assertThat(first.getData().toBytes()).isEqualTo(violation.getBytes(StandardCharsets.UTF_8));
            assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8))
                    .isEqualTo("K8sRequiredLabels/pod-must-have-test");

            assertThat(events.get(1).getType()).isEqualTo("sh.gatekeeper.record");
            assertThat(records.get(1).key()).isNull();

            CloudEvent redacted = events.get(2);
            assertThat(redacted.getType()).isEqualTo("sh.gatekeeper.violation_admission");
            assertThat(redacted.getExtension("redacted")).isEqualTo("3");
            assertThat(new String(records.get(2).key(), StandardCharsets.UTF_8)).isEqualTo("K8sNoSecrets/no-secrets");

            assertThat(events).extracting(CloudEvent::getId).doesNotHaveDuplicates().allMatch(id -> !id.isBlank());
            assertThat(records).allSatisfy(r -> {
                assertThat(TopicReader.header(r, "record_id")).as("no plain headers beside").isNull();
                assertThat(Arrays.stream(r.headers().toArray()).map(h -> h.key()))
                        .allMatch(k -> k.equals("content-type") || k.matches("ce_[a-z0-9]+"));
            });
        }
    }

    @Test
    void theRecordIdKeyIsTheRecordIdHeader() throws Exception {
        String topic = "record-id-keys";
        TopicReader.createTopic(bootstrap(), topic, 1);
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.publish.key", "record-id"))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(DecisionRecords.violation(0, 1, 1));
                producer.sendLine(DecisionRecords.violation(0, 1, 2));
            }
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 2,
                    Duration.ofSeconds(60));
            assertThat(records).hasSize(2).allSatisfy(r -> assertThat(new String(r.key(), StandardCharsets.UTF_8))
                    .isEqualTo(TopicReader.header(r, "record_id")));
        }
    }
}
