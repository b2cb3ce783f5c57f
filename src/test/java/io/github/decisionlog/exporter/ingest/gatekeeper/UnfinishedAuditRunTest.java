package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.GatekeeperWriter;
import io.github.decisionlog.exporter.support.GatekeeperWriter.AuditRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Audit runs whose writer died before renaming {@code <run>.txt} to {@code .log}: forwarded as incomplete runs once a
 * newer run or their quiet time says they are left behind, and only when nobody holds their lock; a run still being
 * written is never read. Real files, native {@code flock}, a real journal and broker.
 */
class UnfinishedAuditRunTest extends InJvmKafkaTest {

    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final String CHANNEL = "audit-channel";
    private static final Instant RUN = Instant.parse("2026-11-27T03:00:00Z");

    private Path exportPath;
    private GatekeeperWriter audit;

    @BeforeEach
    void exportDirectory() {
        exportPath = dir.resolve("violations/topics");
        audit = new GatekeeperWriter(exportPath, CHANNEL);
    }

    @Test
    void aRunLeftBehindByADeadWriterIsForwardedAsIncompleteAndDeletedOnceANewerRunStarts() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of())) {
            AuditRun dead = audit.startRun(RUN);
            for (int v = 0; v < 40; v++) {
                dead.violation("constraint-0", v);
            }
            dead.abandon(); // the audit manager died mid-run: no "audit is completed", never renamed
            Thread.sleep(500);
            assertThat(dead.path()).as("not superseded, not quiet for 5m: left alone").exists();

            AuditRun next = audit.startRun(RUN.plusSeconds(60)); // the restarted audit manager's next run
            next.violation("constraint-0", 0);
            next.flush();
            byte[] nextSoFar = Files.readAllBytes(next.path());
            FileTime nextTime = Files.getLastModifiedTime(next.path());

            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 41,
                    Duration.ofSeconds(30));
            assertThat(records).hasSize(41).allSatisfy(r -> {
                assertThat(TopicReader.header(r, "run_id")).isEqualTo(dead.runId());
                assertThat(TopicReader.header(r, "source")).isEqualTo("audit");
                assertThat(TopicReader.header(r, "record_id")).startsWith(CHANNEL + "/2026-11-27T03_00_00Z.txt:");
            });
            Map<String, Long> types = records.stream().collect(Collectors.groupingBy(
                    r -> TopicReader.header(r, "event_type"), Collectors.counting()));
            assertThat(types).containsOnly(Map.entry("audit_started", 1L), Map.entry("violation_audited", 40L));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(dead.path()).doesNotExist());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read", "source", "audit")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.gatekeeper.lock.held", "source", "audit")).isEqualTo(1);
            System.out.printf("unfinished run recovered: %d records forwarded from %s%n", records.size(),
                    dead.path().getFileName());

            // the run being written was neither read nor changed, and completes as usual
            assertThat(next.path()).hasBinaryContent(nextSoFar);
            assertThat(Files.getLastModifiedTime(next.path())).isEqualTo(nextTime);
            next.completed();
            next.finish();
            assertThat(TopicReader.readAll(bootstrap(), topic, 44, Duration.ofSeconds(30))).hasSize(44);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(next.finished()).doesNotExist());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isEqualTo(1);
        }
    }

    @Test
    void aRunStillBeingWrittenIsNeverReadNorLockedEvenWhenItIsQuietAndSuperseded() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.orphan-after", "1s"))) {
            AuditRun live = audit.startRun(RUN);
            live.violation("constraint-0", 0);
            live.flush();
            // quiet for an hour, and a newer run exists: everything but the lock says it was left behind
            Files.setLastModifiedTime(live.path(), FileTime.from(Instant.now().minusSeconds(3600)));
            Files.createDirectories(audit.channelDir());
            Path newer = audit.channelDir().resolve("2026-11-27T03_01_00Z.txt");
            Files.writeString(newer, "");
            Files.setLastModifiedTime(newer, FileTime.from(Instant.now().minusSeconds(3600)));
            // the empty newer one has no writer: read (no lines) and deleted
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(newer).doesNotExist());
            byte[] soFar = Files.readAllBytes(live.path());
            FileTime time = Files.getLastModifiedTime(live.path());

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(exporter.metric("decisionlog.gatekeeper.files.busy")).isGreaterThanOrEqualTo(3));
            assertThat(live.path()).hasBinaryContent(soFar);
            assertThat(Files.getLastModifiedTime(live.path())).isEqualTo(time);
            assertThat(exporter.metric("decisionlog.records.appended", "source", "audit")).isZero();
            assertThat(exporter.metric("decisionlog.gatekeeper.lock.held", "source", "audit"))
                    .as("locks taken: only the one on the file without a writer").isEqualTo(1);

            // the writer goes on and finishes the run: it is read as a complete run
            live.violation("constraint-0", 1);
            live.completed();
            live.finish();
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 4,
                    Duration.ofSeconds(30));
            assertThat(records).hasSize(4).allSatisfy(r -> assertThat(TopicReader.header(r, "record_id"))
                    .startsWith(CHANNEL + "/2026-11-27T03_00_00Z.log:"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(live.finished()).doesNotExist());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete"))
                    .as("the empty file without a writer").isEqualTo(1);
        }
    }

    @Test
    void theNewestRunWithoutAWriterIsReadOnlyOnceItHasBeenQuietForOrphanAfter() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.orphan-after", "1h",
                "exporter.gatekeeper.poll-interval", "100ms"))) {
            AuditRun dead = audit.startRun(RUN);
            for (int v = 0; v < 10; v++) {
                dead.violation("constraint-0", v);
            }
            dead.abandon();
            Thread.sleep(1500);
            assertThat(dead.path()).exists();
            assertThat(exporter.metric("decisionlog.records.appended", "source", "audit")).isZero();

            Files.setLastModifiedTime(dead.path(), FileTime.from(Instant.now().minus(Duration.ofMinutes(61))));
            assertThat(TopicReader.readAll(bootstrap(), topic, 11, Duration.ofSeconds(30))).hasSize(11);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(dead.path()).doesNotExist());
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isEqualTo(1);
        }
    }

    @Test
    void aRunThatChangedAfterItWasListedIsLeftForTheNextPass() throws Exception {
        String topic = newTopic();
        // not started: the test lists and reads itself, to change the file in between
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.enabled", "false"))) {
            AuditRun dead = audit.startRun(RUN);
            dead.violation("constraint-0", 0);
            dead.abandon();
            audit.startRun(RUN.plusSeconds(60)).abandon(); // a newer run: the first one is superseded

            GatekeeperSpoolSource source = exporter.bean(GatekeeperSpoolSource.class);
            List<ExportFile> listed = source.pendingFiles();
            assertThat(listed).extracting(ExportFile::name).containsExactly("2026-11-27T03_00_00Z.txt");
            assertThat(listed.get(0).orphan()).isTrue();
            Files.writeString(dead.path(), GatekeeperWriter.auditViolation(dead.runId(), "constraint-0", 1) + "\n",
                    java.nio.file.StandardOpenOption.APPEND);
            assertThat(source.take(listed.get(0))).isFalse();
            assertThat(dead.path()).exists();

            listed = source.pendingFiles();
            assertThat(source.take(listed.get(0))).isTrue();
            assertThat(dead.path()).doesNotExist();
            assertThat(TopicReader.readAll(bootstrap(), topic, 3, Duration.ofSeconds(30))).hasSize(3);
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isEqualTo(1);
        }
    }

    @Test
    void anUnfinishedRunGoneBeforeItCouldBeReadIsCountedAsVanished() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.enabled", "false"))) {
            AuditRun dead = audit.startRun(RUN);
            dead.abandon();
            audit.startRun(RUN.plusSeconds(60)).abandon();
            GatekeeperSpoolSource source = exporter.bean(GatekeeperSpoolSource.class);
            List<ExportFile> listed = source.pendingFiles();
            Files.delete(dead.path()); // 3.20 to 3.23's retention counts .txt files too
            assertThat(source.take(listed.get(0))).isFalse();
            assertThat(exporter.metric("decisionlog.gatekeeper.files.vanished")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.gatekeeper.runs.incomplete")).isZero();
        }
    }

    @Test
    void onlyAuditRunsAreCandidatesAndOnlyOlderOnesAreSuperseded() throws Exception {
        Path channel = exportPath.resolve(CHANNEL);
        Files.createDirectories(channel);
        for (String name : List.of("2026-11-27T03_00_00Z.txt", "2026-11-27T03_01_00Z.log", "2026-11-27T03_02_00Z.txt",
                "admission-20261127T030000.000000000Z-0011223344556677.txt", ".hidden.txt")) {
            Files.writeString(channel.resolve(name), "");
        }
        long now = System.currentTimeMillis();
        List<ExportFile> files = ExportFile.list(exportPath, CHANNEL, now, Duration.ofMinutes(5));
        assertThat(files).extracting(ExportFile::name)
                .containsExactly("2026-11-27T03_00_00Z.txt", "2026-11-27T03_01_00Z.log");
        assertThat(files).extracting(ExportFile::orphan).containsExactly(true, false);
        // once quiet for orphan-after, the newest one too
        files = ExportFile.list(exportPath, CHANNEL, now + Duration.ofMinutes(6).toMillis(), Duration.ofMinutes(5));
        assertThat(files).extracting(ExportFile::name).containsExactly("2026-11-27T03_00_00Z.txt",
                "2026-11-27T03_01_00Z.log", "2026-11-27T03_02_00Z.txt");
    }

    @Test
    void anOrphanAfterThatIsNotPositiveIsRefusedAtStart() {
        assertThatThrownBy(() -> start("unused", Map.of("exporter.gatekeeper.orphan-after", "0s")))
                .rootCause().hasMessageContaining("exporter.gatekeeper.orphan-after must be positive");
    }

    private ExporterRun start(String topic, Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("exporter.gatekeeper.enabled", "true");
        props.put("exporter.gatekeeper.export-path", exportPath.toString());
        props.put("exporter.gatekeeper.channels", CHANNEL);
        props.put("exporter.gatekeeper.poll-interval", "200ms");
        props.put("exporter.socket.enabled", "false");
        props.putAll(extra);
        return ExporterRun.start(dir, bootstrap(), topic, props);
    }

    private static String newTopic() {
        String topic = "unfinished-runs-" + TOPICS.incrementAndGet();
        TopicReader.createTopic(bootstrap(), topic, 1);
        return topic;
    }
}
