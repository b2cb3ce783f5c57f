package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.support.AdmissionSpool;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.GatekeeperWriter;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.TopicReader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Gatekeeper master's admission export read end to end: segments written by {@link AdmissionSpool}, which does what
 * Gatekeeper's admission writer does (naming, O_EXCL, 0660, flock while writing, fsync, rename, retention that drops a
 * batch when a reader holds the lock of the segment it must delete), a real journal and a real Kafka broker.
 */
class AdmissionExportTest extends InJvmKafkaTest {

    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final String CHANNEL = "audit-channel"; // Gatekeeper master writes admission into the audit channel

    private Path exportPath;

    @BeforeEach
    void exportDirectory() {
        exportPath = dir.resolve("violations/topics");
    }

    @Test
    void everyAdmissionRecordGatekeeperWroteArrivesAndGatekeeperDropsNoBatch() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.poll-interval", "100ms"));
                AdmissionSpool spool = new AdmissionSpool(exportPath, CHANNEL)) {
            // a segment Gatekeeper was deleting when it died: not ours to read
            Files.createDirectories(spool.channelDir());
            Path deleting = spool.channelDir().resolve("admission-20260805T101530.000000000Z-00112233445566ff.log"
                    + ".deleting");
            Files.writeString(deleting, GatekeeperWriter.admissionViolation("uid-deleting", -1) + "\n");

            ThreadLocalRandom random = ThreadLocalRandom.current();
            long seq = 0;
            Path recovered = null;
            for (int batch = 0; batch < 400; batch++) {
                int size = 1 + random.nextInt(AdmissionSpool.MAX_BATCH);
                List<String> records = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    records.add(GatekeeperWriter.scopedAdmissionViolation("uid-" + batch, seq++,
                            List.of("deny"), random.nextInt(200, 1200)));
                }
                spool.write(records);
                if (batch == 200) {
                    // the writer dies mid-record; the next Gatekeeper process recovers the segment it left
                    Path open = spool.crash("{\"id\":\"uid-cut\",\"details\":{\"seq\":");
                    assertThat(open).exists();
                    Thread.sleep(300);
                    assertThat(open).as("a segment being written is never read or deleted").exists();
                    recovered = AdmissionSpool.recover(open);
                    assertThat(recovered.getFileName().toString()).endsWith(".recovered.log");
                }
                Thread.sleep(random.nextInt(3));
            }
            spool.rotate(); // the rotation timer finishes the last segment

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(finishedSegments()).isEmpty());

            Set<String> expected = new HashSet<>();
            spool.segments().forEach((segment, records) -> {
                String name = segment.getFileName().toString().replace(".open", ".recovered.log");
                for (long line = 1; line <= records; line++) {
                    expected.add(CHANNEL + "/" + name + ":" + line);
                }
            });
            assertThat(expected).hasSize((int) spool.recordsWritten());
            List<ConsumerRecord<byte[], byte[]>> arrived = TopicReader.readAll(bootstrap(), topic, expected.size(),
                    Duration.ofSeconds(60));
            Set<String> ids = arrived.stream().map(r -> TopicReader.header(r, "record_id"))
                    .collect(Collectors.toSet());
            assertThat(arrived).hasSize(expected.size());
            assertThat(ids).isEqualTo(expected);
            assertThat(arrived).allSatisfy(r -> {
                assertThat(TopicReader.header(r, "source")).isEqualTo("admission");
                assertThat(TopicReader.header(r, "event_type")).isEqualTo("violation_admission");
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).startsWith("ConfigMap/team-a/cm-");
            });
            System.out.printf("admission end to end: %d batches, %d records written, %d segments (one recovered), "
                    + "%d dropped batches, %d deleted by Gatekeeper's retention%n", spool.batchesWritten(),
                    spool.recordsWritten(), spool.segments().size(), spool.batchesDropped(),
                    spool.segmentsDeleted());

            assertThat(spool.batchesDropped()).isZero();
            assertThat(spool.recordsDropped()).isZero();
            assertThat(spool.blockedByReader()).isZero();
            assertThat(spool.errors()).isEmpty();
            assertThat(deleting).exists();
            assertThat(recovered).doesNotExist();
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read", "source", "admission"))
                    .isEqualTo(spool.segments().size());
            assertThat(exporter.metric("decisionlog.gatekeeper.files.vanished")).isZero();
            assertThat(exporter.metric("decisionlog.gatekeeper.lock.held", "source", "admission"))
                    .as("one lock per segment read").isEqualTo(spool.segments().size());
        }
    }

    @Test
    void aWriterAtItsLimitsIsNeverBlockedWhileTheExporterCatchesUpOnABacklog() throws Exception {
        String topic = newTopic();
        int padding = 780; // records of about 1 KiB: 1000 records fill a segment at 1 MiB, 20 segments 20 MiB
        try (AdmissionSpool spool = new AdmissionSpool(exportPath, CHANNEL)) {
            long seq = 0;
            // the backlog: the spool filled up to Gatekeeper's limits and kept there (retention deleting the oldest)
            while (spool.segmentsDeleted() < 5) {
                seq = writeBatch(spool, seq, padding);
            }
            assertThat(finishedSegments()).hasSizeBetween(AdmissionSpool.MAX_RESULTS - 1, AdmissionSpool.MAX_RESULTS);
            long deletedBeforeStart = spool.segmentsDeleted();

            // every record synced on its own: a slow journal, so that the exporter falls behind the writer and the
            // spool stays at its limits (retention deleting the oldest segments) while it reads
            Map<String, Object> slowJournal = Map.of("exporter.gatekeeper.poll-interval", "100ms",
                    "exporter.journal.sync", "always");
            try (ExporterRun exporter = start(topic, slowJournal)) {
                // the writer, as fast as it can, keeps the spool at its limits while the exporter works through the
                // backlog: about 60 MiB more
                int segmentsBefore = spool.segments().size();
                while (spool.segments().size() < segmentsBefore + 60) {
                    seq = writeBatch(spool, seq, padding);
                }
                spool.rotate();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                        .untilAsserted(() -> assertThat(finishedSegments()).isEmpty());

                Timer held = exporter.bean(MeterRegistry.class).get("decisionlog.gatekeeper.lock.held")
                        .tag("source", "admission").timer();
                System.out.printf("backlog at Gatekeeper's limits: %d batches (%d records) written, %d segments, "
                        + "%d deleted by retention (%d before the exporter started), %d batches dropped, "
                        + "%d blocked by a reader; lock held %d times, longest %.3f ms, mean %.3f ms%n",
                        spool.batchesWritten(), spool.recordsWritten(), spool.segments().size(),
                        spool.segmentsDeleted(), deletedBeforeStart, spool.batchesDropped(), spool.blockedByReader(),
                        held.count(), held.max(TimeUnit.MILLISECONDS), held.mean(TimeUnit.MILLISECONDS));

                assertThat(spool.blockedByReader()).as(AdmissionSpool.BLOCKED).isZero();
                assertThat(spool.batchesDropped()).isZero();
                assertThat(spool.errors()).isEmpty();
                assertThat(held.count()).isPositive();

                // every segment retention did not delete arrived whole
                Set<Path> deleted = new HashSet<>(spool.deleted());
                Set<String> expected = new HashSet<>();
                long all = 0;
                for (Map.Entry<Path, Long> segment : spool.segments().entrySet()) {
                    all += segment.getValue();
                    if (!deleted.contains(segment.getKey())) {
                        for (long line = 1; line <= segment.getValue(); line++) {
                            expected.add(CHANNEL + "/" + segment.getKey().getFileName() + ":" + line);
                        }
                    }
                }
                long appended = (long) exporter.metric("decisionlog.records.appended", "source", "admission");
                List<ConsumerRecord<byte[], byte[]>> arrived = TopicReader.readAll(bootstrap(), topic,
                        (int) appended, Duration.ofSeconds(120));
                Set<String> ids = arrived.stream().map(r -> TopicReader.header(r, "record_id"))
                        .collect(Collectors.toSet());
                assertThat(ids).containsAll(expected).hasSize(arrived.size());
                assertThat(arrived.size()).isLessThanOrEqualTo((int) all);
            }
        }
    }

    @Test
    void aScopedRecordIsKeptByAnActionItReallyHasAndItsKeyAndCloudEventsAttributesAreThoseOfAnyRecord()
            throws Exception {
        String topic = newTopic();
        Map<String, Object> settings = Map.of("exporter.filter.enforcement-actions", "deny",
                "exporter.publish.headers", "cloudevents");
        try (ExporterRun exporter = start(topic, settings); AdmissionSpool spool = new AdmissionSpool(exportPath,
                CHANNEL)) {
            List<String> records = List.of(
                    GatekeeperWriter.scopedAdmissionViolation("uid-1", 1, List.of("deny"), 0), // kept
                    GatekeeperWriter.scopedAdmissionViolation("uid-2", 2, List.of("warn"), 0), // dropped
                    GatekeeperWriter.scopedAdmissionViolation("uid-3", 3, List.of("warn", "deny"), 0), // kept
                    GatekeeperWriter.scopedAdmissionViolation("uid-4", 4, List.of(), 0) // dropped: no action
                            .replace(",\"enforcementActions\":[]", ""),
                    // the shape of a constraint's scopedEnforcementActions, should a producer send that
                    GatekeeperWriter.scopedAdmissionViolation("uid-5", 5, List.of("deny"), 0) // kept
                            .replace("\"enforcementActions\":[\"deny\"]",
                                    "\"enforcementActions\":[{\"action\":\"deny\",\"enforcementPoints\":"
                                            + "[{\"name\":\"validation.gatekeeper.sh\"}]}]"),
                    GatekeeperWriter.scopedAdmissionViolation("uid-6", 6, List.of("warn"), 0) // dropped
                            .replace("\"enforcementActions\":[\"warn\"]",
                                    "\"enforcementActions\":[{\"action\":\"warn\"},7,null,[\"deny\"]]"),
                    GatekeeperWriter.admissionViolation("uid-7", 7)); // plain deny: kept
            assertThat(spool.write(records)).isTrue();
            spool.rotate();

            List<ConsumerRecord<byte[], byte[]>> arrived = TopicReader.readAll(bootstrap(), topic, 4,
                    Duration.ofSeconds(30));
            assertThat(arrived).hasSize(4);
            Map<String, ConsumerRecord<byte[], byte[]>> byUid = new LinkedHashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : arrived) {
                String value = new String(r.value(), StandardCharsets.UTF_8);
                byUid.put(value.substring(7, value.indexOf('"', 7)), r);
            }
            assertThat(byUid).containsOnlyKeys("uid-1", "uid-3", "uid-5", "uid-7");
            for (String uid : List.of("uid-1", "uid-3", "uid-5")) {
                ConsumerRecord<byte[], byte[]> r = byUid.get(uid);
                String n = uid.substring(4);
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("ConfigMap/team-a/cm-" + n);
                assertThat(TopicReader.header(r, "ce_type")).isEqualTo("sh.gatekeeper.violation_admission");
                assertThat(TopicReader.header(r, "ce_source")).endsWith("admission");
                assertThat(TopicReader.header(r, "ce_id")).startsWith(CHANNEL + "/admission-");
                assertThat(TopicReader.header(r, "ce_specversion")).isEqualTo("1.0");
                assertThat(new String(r.value(), StandardCharsets.UTF_8))
                        .isEqualTo(records.get(Integer.parseInt(n) - 1));
            }
            assertThat(new String(byUid.get("uid-7").key(), StandardCharsets.UTF_8)).isEqualTo("Pod/default/web-7");
            assertThat(exporter.metric("decisionlog.records.filtered", "source", "admission", "reason",
                    "enforcement_action")).isEqualTo(3);
        }
    }

    @Test
    void aSegmentGoneBeforeItCouldBeReadIsCountedAsVanishedAndTheNextIsRead() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.enabled", "false"));
                AdmissionSpool spool = new AdmissionSpool(exportPath, CHANNEL)) {
            for (int s = 0; s < 2; s++) {
                List<String> batch = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    batch.add(GatekeeperWriter.admissionViolation("uid-" + s, 10L * s + i));
                }
                spool.write(batch);
                spool.rotate();
            }
            GatekeeperSpoolSource source = exporter.bean(GatekeeperSpoolSource.class);
            List<ExportFile> listed = sourceFiles(source);
            assertThat(listed).hasSize(2).allSatisfy(f -> assertThat(f.kind()).isEqualTo(ExportFile.Kind.ADMISSION));
            Files.delete(listed.get(0).path()); // Gatekeeper's retention got there first
            assertThat(listed.stream().map(source::take)).containsExactly(false, true);
            assertThat(TopicReader.readAll(bootstrap(), topic, 5, Duration.ofSeconds(30))).hasSize(5);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.vanished")).isEqualTo(1);
            assertThat(finishedSegments()).isEmpty();
        }
    }

    @Test
    void aSegmentGatekeeperDeletesOnceItIsReadIsNeitherLostNorAnError() throws Exception {
        String topic = newTopic();
        // not started: the test reads and finishes the segment itself, with Gatekeeper's cleanup in between
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.enabled", "false"));
                AdmissionSpool spool = new AdmissionSpool(exportPath, CHANNEL)) {
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                batch.add(GatekeeperWriter.admissionViolation("uid", i));
            }
            spool.write(batch);
            spool.rotate();
            GatekeeperSpoolSource source = exporter.bean(GatekeeperSpoolSource.class);
            ExportFile segment = sourceFiles(source).get(0);
            ExportFileReader.Result result = source.read(segment);
            assertThat(result.lines()).isEqualTo(20);

            // Gatekeeper's retention, after the read and before the journal sync and the delete: the lock is free
            Path deleting = Path.of(segment.path() + ".deleting");
            try (io.github.decisionlog.exporter.support.Flock cleanup =
                    io.github.decisionlog.exporter.support.Flock.exclusive(segment.path())) {
                Files.move(segment.path(), deleting);
            }
            Files.delete(deleting);

            source.finish(segment, result);
            assertThat(TopicReader.readAll(bootstrap(), topic, 20, Duration.ofSeconds(30))).hasSize(20);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.read", "source", "admission")).isEqualTo(1);
            assertThat(exporter.metric("decisionlog.gatekeeper.files.undeleted")).isZero();
            assertThat(exporter.metric("decisionlog.gatekeeper.files.vanished")).isZero();
        }
    }

    @Test
    void aSegmentLargerThanWhatIsCopiedIntoMemoryIsReadWholeUnderItsLock() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.enabled", "false"))) {
            // not one of Gatekeeper's (its segments stop at 1 MiB): a file as large as a writer could leave
            GatekeeperWriter.Segment big = new GatekeeperWriter(exportPath, CHANNEL)
                    .startSegment(java.time.Instant.parse("2026-08-05T10:15:30Z"));
            int records = 0;
            while (Files.size(big.path()) <= GatekeeperSpoolSource.IN_MEMORY_LIMIT) {
                for (int i = 0; i < 1000; i++) {
                    big.line(GatekeeperWriter.scopedAdmissionViolation("uid", records++, List.of("deny"), 1000));
                }
                big.flush();
            }
            Path log = big.finish();
            GatekeeperSpoolSource source = exporter.bean(GatekeeperSpoolSource.class);
            List<ExportFile> listed = sourceFiles(source);
            assertThat(listed).hasSize(1);
            assertThat(source.take(listed.get(0))).isTrue();
            assertThat(log).doesNotExist();
            assertThat(exporter.metric("decisionlog.gatekeeper.records.read", "source", "admission"))
                    .isEqualTo(records);
            assertThat(TopicReader.readAll(bootstrap(), topic, records, Duration.ofSeconds(60))).hasSize(records);
        }
    }

    @Test
    void segmentsWithGatekeepersModesAreReadAndDeleted() throws Exception {
        String topic = newTopic();
        try (ExporterRun exporter = start(topic, Map.of("exporter.gatekeeper.poll-interval", "100ms"));
                AdmissionSpool spool = new AdmissionSpool(exportPath, CHANNEL)) {
            spool.write(List.of(GatekeeperWriter.admissionViolation("uid", 1)));
            Path open;
            try (Stream<Path> files = Files.list(spool.channelDir())) {
                open = files.filter(f -> f.toString().endsWith(".open")).findFirst().orElseThrow();
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.channelDir())))
                    .isEqualTo("rwxrwx---");
            spool.rotate();
            Path log = spool.segments().keySet().iterator().next();
            assertThat(log.getFileName().toString()).isEqualTo(open.getFileName().toString()
                    .replace(".open", ".log")).matches("admission-\\d{8}T\\d{6}\\.\\d{9}Z-[0-9a-f]{16}\\.log");
            assertThat(TopicReader.readAll(bootstrap(), topic, 1, Duration.ofSeconds(30))).hasSize(1);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log).doesNotExist());
        }
    }

    private static List<ExportFile> sourceFiles(GatekeeperSpoolSource source) {
        return source.pendingFiles();
    }

    private static long writeBatch(AdmissionSpool spool, long seq, int padding) throws Exception {
        List<String> records = new ArrayList<>(AdmissionSpool.MAX_BATCH);
        for (int i = 0; i < AdmissionSpool.MAX_BATCH; i++) {
            records.add(GatekeeperWriter.scopedAdmissionViolation("uid-" + seq / 64, seq++, List.of("deny"),
                    padding));
        }
        spool.write(records);
        return seq;
    }

    private List<Path> finishedSegments() throws Exception {
        Path channel = exportPath.resolve(CHANNEL);
        if (!Files.isDirectory(channel)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(channel)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).toList();
        }
    }

    private ExporterRun start(String topic, Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("exporter.gatekeeper.enabled", "true");
        props.put("exporter.gatekeeper.export-path", exportPath.toString());
        props.put("exporter.gatekeeper.channels", CHANNEL);
        props.put("exporter.socket.enabled", "false");
        props.putAll(extra);
        return ExporterRun.start(dir, bootstrap(), topic, props);
    }

    private static String newTopic() {
        String topic = "admission-export-" + TOPICS.incrementAndGet();
        TopicReader.createTopic(bootstrap(), topic, 1);
        return topic;
    }
}
