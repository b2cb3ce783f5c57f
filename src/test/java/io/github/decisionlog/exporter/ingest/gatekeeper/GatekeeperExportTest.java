package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.Flock;
import io.github.decisionlog.exporter.support.GatekeeperWriter;
import io.github.decisionlog.exporter.support.GatekeeperWriter.AuditRun;
import io.github.decisionlog.exporter.support.GatekeeperWriter.Segment;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Gatekeeper's disk export read end to end: files written the way Gatekeeper writes them, a real journal, and a real
 * Kafka broker (KRaft, in this JVM).
 */
class GatekeeperExportTest {

    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FIRST_RUN = Instant.parse("2026-11-27T03:00:00Z");
    private static final String AUDIT = "audit-channel";
    private static final String ADMISSION = "admission-channel";

    private static EmbeddedKafkaKraftBroker broker;

    @TempDir
    Path dir;
    Path exportPath;
    GatekeeperWriter audit;
    GatekeeperWriter admission;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, 3);
        broker.afterPropertiesSet();
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    @BeforeEach
    void exportDirectory() {
        exportPath = dir.resolve("violations/topics");
        audit = new GatekeeperWriter(exportPath, AUDIT);
        admission = new GatekeeperWriter(exportPath, ADMISSION);
    }

    @Test
    void everyViolationOfSeveralRunsArrivesAndOnlyFinishedFilesAreDeleted() throws Exception {
        String topic = newTopic();
        int runs = 4;
        int constraints = 3;
        int perConstraint = 1_000;
        int segments = 3;
        int perSegment = 500;
        // the export directory does not exist yet when the exporter starts
        try (ExporterRun exporter = start(topic, Map.of());
                AuditRun current = audit.startRun(FIRST_RUN.plusSeconds(3600));
                Segment open = admission.startSegment(FIRST_RUN.plusSeconds(3600))) {
            current.violation("constraint-0", 0);
            current.flush();
            open.violation("uid-open", 0);
            open.flush();
            Map<Path, byte[]> unfinished = Map.of(current.path(), Files.readAllBytes(current.path()),
                    open.path(), Files.readAllBytes(open.path()));
            Map<Path, FileTime> unfinishedTimes = Map.of(current.path(), Files.getLastModifiedTime(current.path()),
                    open.path(), Files.getLastModifiedTime(open.path()));

            List<GatekeeperWriter.OpenFile> files = new ArrayList<>();
            Map<String, Integer> written = new HashMap<>();
            for (int r = 0; r < runs; r++) {
                AuditRun run = audit.startRun(FIRST_RUN.plusSeconds(60L * r));
                for (int v = 0; v < constraints * perConstraint; v++) {
                    String constraint = "constraint-" + (v % constraints);
                    run.violation(constraint, v);
                    written.merge(run.runId() + "|" + constraint, 1, Integer::sum);
                }
                run.completed();
                run.close();
                files.add(run);
            }
            for (int s = 0; s < segments; s++) {
                Segment segment = admission.startSegment(FIRST_RUN.plusSeconds(s));
                for (int v = 0; v < perSegment; v++) {
                    segment.violation("uid-" + s + "-" + v, v);
                }
                segment.close();
                files.add(segment);
            }
            int violations = runs * constraints * perConstraint + segments * perSegment;
            int total = violations + 2 * runs;

            long start = System.nanoTime();
            for (GatekeeperWriter.OpenFile file : files) {
                file.rename();
            }
            await().pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(60))
                    .until(() -> files.stream().noneMatch(f -> Files.exists(f.finished())));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("read from files, with Kafka: %d records (%d files, ~450 B each) journaled, synced and "
                    + "deleted in %.2f s = %.0f records/s%n", total, files.size(), seconds, total / seconds);

            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, total,
                    Duration.ofSeconds(60));
            assertThat(records).hasSize(total);
            assertThat(records.stream().map(r -> TopicReader.header(r, "record_id")).distinct()).hasSize(total);

            Map<String, Integer> arrived = new HashMap<>();
            Map<String, List<String>> controlByRun = new HashMap<>();
            int admissions = 0;
            for (ConsumerRecord<byte[], byte[]> r : records) {
                JsonNode value = JSON.readTree(r.value());
                String eventType = TopicReader.header(r, "event_type");
                String source = TopicReader.header(r, "source");
                if ("violation_audited".equals(eventType)) {
                    assertThat(source).isEqualTo("audit");
                    assertThat(TopicReader.header(r, "run_id")).isEqualTo(value.path("id").asString());
                    arrived.merge(TopicReader.header(r, "run_id") + "|" + value.path("name").asString(), 1,
                            Integer::sum);
                } else if ("violation_admission".equals(eventType)) {
                    assertThat(source).isEqualTo("admission");
                    assertThat(TopicReader.header(r, "run_id")).isNull();
                    assertThat(TopicReader.header(r, "record_id")).startsWith(ADMISSION + "/admission-");
                    admissions++;
                } else {
                    assertThat(eventType).isIn("audit_started", "audit_completed");
                    controlByRun.computeIfAbsent(TopicReader.header(r, "run_id"), k -> new ArrayList<>())
                            .add(eventType + "@" + TopicReader.header(r, "record_id"));
                }
            }
            // Gatekeeper's own completeness check: per run and constraint, as many violations as it wrote
            assertThat(arrived).isEqualTo(written);
            assertThat(admissions).isEqualTo(segments * perSegment);
            assertThat(controlByRun).hasSize(runs);
            controlByRun.forEach((runId, lines) -> {
                String file = AUDIT + "/" + runId.replace(':', '_') + ".log";
                assertThat(lines).containsExactlyInAnyOrder("audit_started@" + file + ":1",
                        "audit_completed@" + file + ":" + (constraints * perConstraint + 2));
            });

            ConsumerRecord<byte[], byte[]> first = records.stream()
                    .filter(r -> TopicReader.header(r, "record_id").equals(AUDIT + "/2026-11-27T03_00_00Z.log:2"))
                    .findFirst().orElseThrow();
            assertThat(new String(first.value(), StandardCharsets.UTF_8))
                    .isEqualTo(GatekeeperWriter.auditViolation("2026-11-27T03:00:00Z", "constraint-0", 0));
            assertThat(new String(first.key(), StandardCharsets.UTF_8)).isEqualTo("Pod/ns-0/pod-0");

            assertThat(finishedFiles()).isEmpty();
            unfinished.forEach((path, bytes) -> assertThat(path).exists().hasBinaryContent(bytes));
            for (var e : unfinishedTimes.entrySet()) {
                assertThat(Files.getLastModifiedTime(e.getKey())).isEqualTo(e.getValue());
            }
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read", "source", "audit")).isEqualTo(runs);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read", "source", "admission"))
                    .isEqualTo(segments);
            assertThat(exporter.metric("decisionlog.gatekeeper.records.read")).isEqualTo(total);
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isZero();
            assertThat(exporter.metric("decisionlog.gatekeeper.files.vanished")).isZero();
            assertThat(exporter.metric("decisionlog.gatekeeper.oldest.unread.age")).isZero();
        }
    }

    @Test
    void readsFilesIntoTheJournalAtTensOfThousandsOfRecordsPerSecond() throws Exception {
        String topic = newTopic();
        // no broker: the publisher waits, so the figure is reading, journaling, syncing and deleting alone
        Map<String, Object> noKafka = Map.of("spring.kafka.bootstrap-servers", "127.0.0.1:1",
                "spring.kafka.producer.properties.max.block.ms", "500",
                "exporter.publish.retry-initial-backoff", "10s", "exporter.publish.retry-max-backoff", "10s");
        try (ExporterRun exporter = start(topic, noKafka)) {
            int perRun = 10_000;
            for (int round = 0; round < 2; round++) { // the first round warms the JIT up
                int runs = round == 0 ? 2 : 6;
                List<AuditRun> files = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    AuditRun run = audit.startRun(FIRST_RUN.plusSeconds(3600L * round + 60L * r));
                    for (int v = 0; v < perRun; v++) {
                        run.violation("constraint-" + (v % 3), v);
                    }
                    run.completed();
                    run.close();
                    files.add(run);
                }
                long start = System.nanoTime();
                for (AuditRun run : files) {
                    run.rename();
                }
                await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(60))
                        .until(() -> files.stream().noneMatch(f -> Files.exists(f.finished())));
                double seconds = (System.nanoTime() - start) / 1e9;
                if (round == 1) {
                    int total = runs * (perRun + 2);
                    System.out.printf("read from files, Kafka unreachable: %d records (%d files, ~450 B each) "
                            + "journaled, synced and deleted in %.2f s = %.0f records/s%n", total, runs, seconds,
                            total / seconds);
                }
            }
            assertThat(exporter.metric("decisionlog.journal.appended")).isEqualTo(8 * (perRun + 2));
        }
    }

    @Test
    void aFinishedRunIsPickedUpWellWithinGatekeepersRetention() throws Exception {
        String topic = newTopic();
        Files.createDirectories(audit.channelDir());
        List<Long> millis = new ArrayList<>();
        try (ExporterRun exporter = start(topic, Map.of()); KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            for (int i = 0; i < 10; i++) {
                AuditRun run = audit.startRun(FIRST_RUN.plusSeconds(i));
                run.violation("constraint-0", i);
                run.completed();
                run.close();
                long renamed = System.nanoTime();
                run.rename();
                int seen = 0;
                long deadline = renamed + Duration.ofSeconds(10).toNanos();
                while (seen < 3 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(5))) {
                        if (run.runId().equals(TopicReader.header(r, "run_id"))) {
                            seen++;
                        }
                    }
                }
                assertThat(seen).as("records of run %s in Kafka", run.runId()).isEqualTo(3);
                millis.add((System.nanoTime() - renamed) / 1_000_000);
            }
        }
        List<Long> sorted = millis.stream().sorted().toList();
        System.out.printf("pick-up latency (renamed to .log -> whole run in Kafka), 10 runs: median %d ms, "
                + "max %d ms, all %s%n", sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), millis);
        assertThat(sorted.get(sorted.size() - 1)).isLessThan(3_000);
    }

    @Test
    void aFileDeletedAfterItWasListedIsCountedAsVanishedAndTheOthersAreRead() throws Exception {
        String topic = newTopic();
        // not started: this test drives the listing and the reading itself, to delete a file in between
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.enabled", "false"))) {
            for (int r = 0; r < 3; r++) {
                try (AuditRun run = audit.startRun(FIRST_RUN.plusSeconds(60L * r))) {
                    for (int v = 0; v < 10; v++) {
                        run.violation("constraint-0", v);
                    }
                    run.completed();
                    run.finish();
                }
            }
            GatekeeperSpoolSource source = exporter.bean(GatekeeperSpoolSource.class);
            List<ExportFile> listed = source.pendingFiles();
            assertThat(listed).extracting(ExportFile::name).containsExactly("2026-11-27T03_00_00Z.log",
                    "2026-11-27T03_01_00Z.log", "2026-11-27T03_02_00Z.log");

            Files.delete(listed.get(1).path()); // Gatekeeper's retention wins the race for this one
            assertThat(listed.stream().map(source::take)).containsExactly(true, false, true);

            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 24,
                    Duration.ofSeconds(30));
            assertThat(records).hasSize(24).allSatisfy(r -> assertThat(TopicReader.header(r, "run_id"))
                    .isIn("2026-11-27T03:00:00Z", "2026-11-27T03:02:00Z"));
            assertThat(exporter.metric("decisionlog.gatekeeper.files.vanished")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read")).isEqualTo(2);
            assertThat(finishedFiles()).isEmpty();
        }
    }

    @Test
    void anAdmissionSegmentLockedByAnotherProcessIsSkippedAndReadOnceTheLockIsReleased() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.poll-interval", "200ms"))) {
            Segment older = admission.startSegment(FIRST_RUN);
            for (int v = 0; v < 20; v++) {
                older.violation("uid-older-" + v, v);
            }
            older.close();
            Path olderLog;
            try (Flock other = Flock.exclusive(older.path())) {
                olderLog = older.rename();
                Segment newer = admission.startSegment(FIRST_RUN.plusSeconds(1));
                for (int v = 0; v < 20; v++) {
                    newer.violation("uid-newer-" + v, v);
                }
                Path newerLog = newer.finish();

                List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 20,
                        Duration.ofSeconds(30));
                assertThat(records).hasSize(20).allSatisfy(r -> assertThat(TopicReader.header(r, "record_id"))
                        .startsWith(ADMISSION + "/" + newerLog.getFileName() + ":"));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(newerLog).doesNotExist();
                    assertThat(exporter.metric("decisionlog.gatekeeper.files.busy")).isGreaterThanOrEqualTo(2);
                });
                assertThat(olderLog).exists();
            }
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 40,
                    Duration.ofSeconds(30));
            assertThat(records).hasSize(40);
            assertThat(records.stream().map(r -> TopicReader.header(r, "record_id")).distinct()).hasSize(40);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(olderLog).doesNotExist());
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read", "source", "admission")).isEqualTo(2);
        }
    }

    @Test
    void aRunWithoutItsClosingLineIsForwardedAndCountedAsIncomplete() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of())) {
            AuditRun cut = audit.startRun(FIRST_RUN);
            for (int v = 0; v < 50; v++) {
                cut.violation("constraint-0", v);
            }
            cut.finish(); // no "audit is completed"
            AuditRun whole = audit.startRun(FIRST_RUN.plusSeconds(60));
            whole.violation("constraint-0", 0);
            whole.completed();
            whole.finish();

            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 51 + 3,
                    Duration.ofSeconds(30));
            assertThat(records).hasSize(54);
            Map<String, Long> cutTypes = records.stream()
                    .filter(r -> cut.runId().equals(TopicReader.header(r, "run_id")))
                    .collect(Collectors.groupingBy(r -> TopicReader.header(r, "event_type"), Collectors.counting()));
            assertThat(cutTypes).containsOnly(Map.entry("audit_started", 1L), Map.entry("violation_audited", 50L));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(finishedFiles()).isEmpty());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read")).isEqualTo(2);
        }
    }

    @Test
    void aLineThatIsNotJsonIsRejectedAndTheRestOfTheFileArrives() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.max-record-size", "4KB"))) {
            AuditRun run = audit.startRun(FIRST_RUN);
            for (int v = 0; v < 5; v++) {
                run.violation("constraint-0", v);
            }
            run.line("this is not json"); // line 7
            run.line("{\"id\":\"x\",\"message\":\"" + "y".repeat(10_000) + "\"}"); // line 8
            for (int v = 5; v < 10; v++) {
                run.violation("constraint-0", v);
            }
            run.completed();
            run.finish();

            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 12,
                    Duration.ofSeconds(30));
            Set<String> ids = records.stream().map(r -> TopicReader.header(r, "record_id"))
                    .collect(Collectors.toSet());
            String file = AUDIT + "/2026-11-27T03_00_00Z.log:";
            Set<String> expected = new HashSet<>();
            for (int line = 1; line <= 14; line++) {
                if (line != 7 && line != 8) {
                    expected.add(file + line);
                }
            }
            assertThat(records).hasSize(12);
            assertThat(ids).isEqualTo(expected);
            assertThat(exporter.metric("decisionlog.records.rejected", "source", "audit", "reason", "not_json"))
                    .isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.rejected", "source", "audit", "reason", "too_large"))
                    .isEqualTo(1);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(finishedFiles()).isEmpty());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isZero();
        }
    }

    @Test
    void controlLinesAreLeftOutWhenTheyAreNotForwarded() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.forward-control-lines", "false"))) {
            AuditRun run = audit.startRun(FIRST_RUN);
            for (int v = 0; v < 10; v++) {
                run.violation("constraint-0", v);
            }
            run.completed();
            run.finish();
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 10,
                    Duration.ofSeconds(30));
            assertThat(records).hasSize(10)
                    .allSatisfy(r -> assertThat(TopicReader.header(r, "event_type")).isEqualTo("violation_audited"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(finishedFiles()).isEmpty());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isZero();
        }
    }

    @Test
    void refusesToStartWhenTheJournalIsInsideTheExportPath() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("exporter.gatekeeper.enabled", "true");
        props.put("exporter.gatekeeper.export-path", exportPath.toString());
        props.put("exporter.journal.dir", exportPath.resolve("journal").toString());
        assertThatThrownBy(() -> ExporterRun.start(dir, bootstrap(), "unused", props))
                .rootCause()
                .hasMessageContaining("exporter.journal.dir")
                .hasMessageContaining("exporter.gatekeeper.export-path");
        assertThat(exportPath.resolve("journal")).doesNotExist();
    }

    private ExporterRun start(String topic, Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("exporter.gatekeeper.enabled", "true");
        props.put("exporter.gatekeeper.export-path", exportPath.toString());
        props.put("exporter.gatekeeper.channels", AUDIT + "," + ADMISSION);
        props.put("exporter.socket.enabled", "false");
        props.putAll(extra);
        return ExporterRun.start(dir, bootstrap(), topic, props);
    }

    private List<Path> finishedFiles() throws Exception {
        List<Path> found = new ArrayList<>();
        for (Path channel : List.of(audit.channelDir(), admission.channelDir())) {
            if (Files.isDirectory(channel)) {
                try (Stream<Path> files = Files.list(channel)) {
                    files.filter(f -> f.toString().endsWith(".log")).forEach(found::add);
                }
            }
        }
        return found;
    }

    private static String bootstrap() {
        return broker.getBrokersAsString();
    }

    private static String newTopic() {
        String topic = "gatekeeper-export-" + TOPICS.incrementAndGet();
        TopicReader.createTopic(bootstrap(), topic, 3);
        return topic;
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props);
    }
}
