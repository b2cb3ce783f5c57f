package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exactly-once delivery against the in-JVM broker: the offsets topic's checks, and records committed once each with
 * the journal position beside them, across a restart.
 */
class ExactlyOnceTest extends InJvmKafkaTest {

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    }

    @Test
    void nonCompactedOffsetsTopicIsRefusedByName() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("offsets-deleted", 1, (short) 1)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE))))
                    .all().get();
            assertThatThrownBy(() -> Transactions.checkOffsetsTopic(admin, "offsets-deleted", Duration.ofSeconds(10)))
                    .isInstanceOf(Transactions.OffsetsTopicException.class)
                    .hasMessageContaining("offsets-deleted").hasMessageContaining("cleanup.policy=compact");
        }
        assertThatThrownBy(() -> ExporterRun.start(dir, bootstrap(), "eos-refused", Map.of(
                "exporter.publish.delivery", "exactly-once", "exporter.publish.offsets-topic", "offsets-deleted")))
                .hasStackTraceContaining("offsets-deleted");
    }

    @Test
    void missingOffsetsTopicIsCreatedCompacted() throws Exception {
        try (Admin admin = admin()) {
            Transactions.checkOffsetsTopic(admin, "offsets-new", Duration.ofSeconds(10));
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "offsets-new");
            String policy = admin.describeConfigs(Set.of(resource)).all().get().get(resource)
                    .get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            assertThat(policy).isEqualTo("compact");
            Transactions.checkOffsetsTopic(admin, "offsets-new", Duration.ofSeconds(10)); // and accepted as it is
        }
    }

    @Test
    void everyRecordIsCommittedOnceWithItsJournalPositionAcrossARestart() throws Exception {
        String topic = "eos-restart";
        TopicReader.createTopic(bootstrap(), topic, 3);
        Map<String, Object> eos = Map.of("exporter.publish.delivery", "exactly-once",
                "exporter.publish.offsets-topic", "offsets-restart", "exporter.publish.transaction-interval", "50ms");
        long acknowledged;
        String journalId;
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic, eos)) {
            send(exporter, 0, 3_000);
            awaitBacklogEmpty(exporter, 3_000);
            acknowledged = exporter.bean(Journal.class).acknowledgedIndex();
            journalId = exporter.bean(Journal.class).id();
            assertThat(exporter.metric("decisionlog.publish.transactions", "outcome", "committed")).isPositive();
        }
        List<ConsumerRecord<byte[], byte[]>> offsets = TopicReader.readAll(bootstrap(), "offsets-restart", 1,
                Duration.ofSeconds(10), "read_committed");
        ConsumerRecord<byte[], byte[]> last = offsets.get(offsets.size() - 1);
        assertThat(new String(last.key(), StandardCharsets.UTF_8)).isEqualTo(journalId);
        assertThat(Transactions.parsePosition(last.value())).isEqualTo(acknowledged);

        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic, eos)) {
            send(exporter, 3_000, 500);
            awaitBacklogEmpty(exporter, 500);
        }
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 3_500,
                Duration.ofSeconds(30), "read_committed");
        Set<String> ids = new HashSet<>();
        records.forEach(r -> ids.add(TopicReader.header(r, "record_id")));
        assertThat(records).hasSize(3_500);
        assertThat(ids).hasSize(3_500);
    }

    private static void send(ExporterRun exporter, int from, int count) throws Exception {
        try (SocketProducer producer = new SocketProducer(exporter.socket())) {
            for (int i = from; i < from + count; i++) {
                producer.sendLine("{\"decisionId\":\"d-" + i + "\",\"eventType\":\"violation_audited\"}");
            }
        }
    }

    private static void awaitBacklogEmpty(ExporterRun exporter, long appended) throws InterruptedException {
        Journal journal = exporter.bean(Journal.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ((journal.appendedCount() < appended || journal.backlogRecords() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(journal.backlogRecords()).as("backlog").isZero();
    }
}
