package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once delivery ({@code exporter.publish.delivery: exactly-once}) against the real exporter process and a
 * real broker process: a consumer reading with read_committed sees every accepted record once, through kill -9s of
 * the exporter, a broker outage and a broker restart, a graceful stop, and a second exporter with the same
 * transactional id, which fences the first. One broker serves the whole class (each test has topics of its own), and
 * the exporters run with the C1 compiler only, which starts them sooner: eleven starts are most of the class's time.
 */
class ExactlyOnceIT extends FaultTest {

    private static final int KILLS = 5;

    @TempDir
    static Path brokerDir;
    private static KafkaBrokerProcess broker;
    private static long classStarted;

    @BeforeAll
    static void startBroker() {
        classStarted = System.nanoTime();
        broker = KafkaBrokerProcess.start(brokerDir);
    }

    @BeforeEach
    void brokerRunning() {
        if (!broker.isRunning()) { // a test that failed while the broker was away
            broker.start();
        }
    }

    @AfterAll
    static void stopBroker() throws IOException {
        broker.close();
        Path logs = Path.of(System.getProperty("basedir", "."), "target", "fault-logs", "ExactlyOnceIT");
        Files.createDirectories(logs);
        Files.copy(broker.logFile(), logs.resolve("broker.log"), StandardCopyOption.REPLACE_EXISTING);
        Tally.print(String.format("ExactlyOnceIT: the class took %.0f s",
                (System.nanoTime() - classStarted) / 1e9));
    }

    private static Map<String, String> exactlyOnce(String... extra) {
        Map<String, String> s = FaultSettings.exporter(extra);
        s.put("exporter.publish.delivery", "exactly-once");
        s.putIfAbsent("exporter.publish.transaction-interval", "200ms");
        return s;
    }

    private static ExporterProcess startExporter(Path dir, String topic, Map<String, String> settings) {
        return ExporterProcess.create(dir, broker.bootstrapServers(), topic, settings)
                .jvmOptions(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")).start();
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS) // six starts of the exporter
    void readCommittedSeesEveryAcceptedRecordOnceThroughRepeatedKill9() throws Exception {
        String topic = Faults.newTopic(broker, "eos-kill9");
        try (ExporterProcess exporter = startExporter(dir.resolve("exporter"), topic, exactlyOnce())) {
            List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                    Long.MAX_VALUE, 1_000);
            Random random = new Random(16);
            try {
                for (int kill = 1; kill <= KILLS; kill++) {
                    Thread.sleep(700 + random.nextInt(800)); // transactions of 200 ms: each kill lands in one
                    exporter.kill9();
                    exporter.start();
                }
                Thread.sleep(500);
                Faults.finish(producers, Duration.ofSeconds(60));
                awaitBacklogEmpty(exporter);
                Counts counts = counts(topic, producers);
                counts.print("readCommittedSeesEveryAcceptedRecordOnceThroughRepeatedKill9 (" + KILLS + " kills)");

                counts.assertExactlyOnce();
                assertThat(counts.uncommitted.size()).as("read_uncommitted sees the aborted copies too")
                        .isGreaterThan(counts.committed.size());
                assertThat(counts.uncommittedDuplicateIds).isPositive();
            } finally {
                Faults.closeAll(producers);
            }
        }
    }

    /**
     * The outage (10 s) outlasts the producer's {@code delivery.timeout.ms} (8 s here, 30 s by default, to keep the
     * test short): the sends of the open transaction expire, so it is aborted for sure. The broker's kill -9 and
     * restart under load lands in a transaction too (they last 1 s), but aborts it only when the restart outlasts the
     * commit's {@code max.block.ms} (5 s) or a send's delivery timeout: after a quick restart the client retries into
     * the same transaction, which then commits. So the test asserts the outage's abort and prints the restart's.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void brokerOutageAndBrokerRestartMidTransactionLeaveNoGapAndNoDuplicate() throws Exception {
        String topic = Faults.newTopic(broker, "eos-outage");
        try (ExporterProcess exporter = startExporter(dir.resolve("exporter"), topic, exactlyOnce(
                "exporter.publish.transaction-interval", "1s",
                "spring.kafka.producer.properties.delivery.timeout.ms", "8000",
                "spring.kafka.producer.properties.request.timeout.ms", "4000"))) {
            List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                    Long.MAX_VALUE, 1_000);
            try {
                Thread.sleep(1_500);
                broker.stop();
                Thread.sleep(10_000); // the journal keeps accepting meanwhile
                double backlogDuringOutage = exporter.scrape().value("decisionlog_backlog_records");
                broker.start();
                double committedAtReturn = transactions(exporter, "committed");
                Faults.await("commits going on after the outage", Duration.ofSeconds(40),
                        () -> transactions(exporter, "committed"), v -> v >= committedAtReturn + 2);
                double abortedBeforeRestart = transactions(exporter, "aborted");
                broker.kill9(); // transactions of 1 s under load: this lands in one
                broker.start();
                Thread.sleep(1_000);
                Faults.finish(producers, Duration.ofSeconds(60));
                awaitBacklogEmpty(exporter);
                double aborted = transactions(exporter, "aborted");
                Counts counts = counts(topic, producers);
                Tally.print(String.format("eos outage: backlog after 10 s without a broker %.0f; transactions "
                        + "aborted by the outage %.0f, by the broker's restart %.0f", backlogDuringOutage,
                        abortedBeforeRestart, aborted - abortedBeforeRestart));
                counts.print("brokerOutageAndBrokerRestartMidTransactionLeaveNoGapAndNoDuplicate");

                assertThat(backlogDuringOutage).as("records accepted during the outage").isPositive();
                assertThat(abortedBeforeRestart).as("transactions the outage aborted").isPositive();
                counts.assertExactlyOnce();
            } finally {
                Faults.closeAll(producers);
            }
        }
    }

    private static double transactions(ExporterProcess exporter, String outcome) {
        return exporter.scrape().value("decisionlog_publish_transactions_total", "outcome", outcome);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // two starts
    void gracefulStopEndsTheTransactionAndTheNextStartResumesThere() throws Exception {
        String topic = Faults.newTopic(broker, "eos-sigterm");
        try (ExporterProcess exporter = startExporter(dir.resolve("exporter"), topic, exactlyOnce())) {
            List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                    Long.MAX_VALUE, 1_500);
            try {
                Thread.sleep(2_000);
                int exitCode = exporter.sigterm(Duration.ofSeconds(40));
                String stopLog = exporter.log();
                exporter.start();
                Thread.sleep(1_000);
                Faults.finish(producers, Duration.ofSeconds(60));
                awaitBacklogEmpty(exporter);
                Counts counts = counts(topic, producers);
                counts.print("gracefulStopEndsTheTransactionAndTheNextStartResumesThere");

                assertThat(exitCode).isZero();
                assertThat(stopLog).contains("Publisher stopped");
                counts.assertExactlyOnce();
                assertThat(counts.uncommitted.size()).as("nothing aborted on a graceful stop")
                        .isEqualTo(counts.committed.size());
            } finally {
                Faults.closeAll(producers);
            }
        }
    }

    /**
     * The journal directory is locked, so two exporters never share one; but a pod that overlaps its replacement
     * with a copy of the journal (a restored volume, a second pod on a cloned disk) runs two exporters with the same
     * journal id, and so the same transactional id. The newer one fences the older, which stops publishing, says so
     * in its health and one log line, and does not fight back; read_committed sees nothing twice.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // two starts
    void aSecondExporterWithTheSameTransactionalIdFencesTheFirst() throws Exception {
        String topic = Faults.newTopic(broker, "eos-fence");
        try (ExporterProcess first = startExporter(dir.resolve("a"), topic, exactlyOnce())) {
            StreamingProducer before = new StreamingProducer(0, first.socket(), true, 2_000, 20_000).start();
            Faults.awaitDone(List.of(before), Duration.ofSeconds(60));
            awaitBacklogEmpty(first);
            copy(first.journalDir(), dir.resolve("b").resolve("journal"));
            try (ExporterProcess second = startExporter(dir.resolve("b"), topic, exactlyOnce())) {
                Faults.await("the second exporter publishing", Duration.ofSeconds(60),
                        () -> second.log().contains("Publishing in transactions") ? 1 : 0, v -> v == 1);
                StreamingProducer toFirst = new StreamingProducer(1, first.socket(), true, 1_000, 20_000).start();
                StreamingProducer toSecond = new StreamingProducer(2, second.socket(), true, 1_000, 20_000).start();
                try {
                    Faults.awaitDone(List.of(toFirst, toSecond), Duration.ofSeconds(60));
                    awaitBacklogEmpty(second);
                    Faults.await("the first exporter fenced", Duration.ofSeconds(60),
                            () -> first.scrape().value("decisionlog_publish_stopped"), v -> v == 1);
                    String health = first.get("/actuator/health").body();
                    String livenessStatus = first.get("/actuator/health/liveness").statusCode() + "";
                    long fencedLines = first.log().lines().filter(l -> l.contains("Publishing stopped: fenced"))
                            .count();
                    Thread.sleep(1_000);
                    assertThat(first.isRunning()).isTrue();
                    assertThat(second.log()).doesNotContain("Publishing stopped");

                    List<ConsumerRecord<byte[], byte[]>> committed = TopicReader.readAll(
                            broker.bootstrapServers(), topic, 3_000, Duration.ofSeconds(30), "read_committed");
                    Tally owned = Tally.of(committed, List.of(before, toSecond));
                    Tally fenced = Tally.of(committed, List.of(toFirst));
                    owned.summary("aSecondExporterWithTheSameTransactionalIdFencesTheFirst (read_committed, "
                            + "records of the journal and of the exporter that took over)");
                    Tally.print(String.format("eos fence: records sent to the fenced exporter in read_committed "
                            + "%d of %d; its log lines saying so %d; its liveness HTTP %s; health %s",
                            fenced.inKafka(), toFirst.accepted().cardinality(), fencedLines, livenessStatus,
                            health.length() > 600 ? health.substring(0, 600) : health));

                    assertThat(owned.missing()).isZero();
                    assertThat(owned.duplicates()).isZero();
                    assertThat(fenced.inKafka()).as("nothing from the fenced exporter is committed").isZero();
                    assertThat(fencedLines).isEqualTo(1);
                    assertThat(health).contains("fenced");
                    assertThat(livenessStatus).isEqualTo("200");
                } finally {
                    Faults.closeAll(List.of(toFirst, toSecond));
                }
            } finally {
                Faults.closeAll(List.of(before));
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    private static void awaitBacklogEmpty(ExporterProcess exporter) throws InterruptedException {
        Faults.await("backlog", Duration.ofSeconds(90),
                () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
    }

    /** The topic read with read_committed and with read_uncommitted. */
    record Counts(List<ConsumerRecord<byte[], byte[]>> committed, List<ConsumerRecord<byte[], byte[]>> uncommitted,
            Tally committedTally, Tally uncommittedTally, long committedDuplicateIds, long uncommittedDuplicateIds) {

        void print(String test) {
            committedTally.summary(test + " [read_committed]");
            uncommittedTally.summary(test + " [read_uncommitted]");
            Tally.print(String.format("%s: records read_committed %d (duplicate record ids %d), read_uncommitted %d "
                    + "(duplicate record ids %d)", test, committed.size(), committedDuplicateIds, uncommitted.size(),
                    uncommittedDuplicateIds));
        }

        void assertExactlyOnce() {
            assertThat(committedTally.missing()).as("accepted records missing in read_committed").isZero();
            assertThat(committedDuplicateIds).as("record ids twice in read_committed").isZero();
            assertThat(committedTally.duplicates() - committedTally.duplicatesResentByProducers())
                    .as("duplicates in read_committed that the producers did not send twice").isZero();
            assertThat(committedTally.problems()).isEmpty();
        }
    }

    private static Counts counts(String topic, List<StreamingProducer> producers) {
        int accepted = (int) producers.stream().mapToLong(p -> p.accepted().cardinality()).sum();
        List<ConsumerRecord<byte[], byte[]>> committed = TopicReader.readAll(broker.bootstrapServers(), topic,
                accepted, Duration.ofSeconds(60), "read_committed");
        List<ConsumerRecord<byte[], byte[]>> uncommitted = TopicReader.readAll(broker.bootstrapServers(), topic,
                committed.size(), Duration.ofSeconds(60), "read_uncommitted");
        return new Counts(committed, uncommitted, Tally.of(committed, producers), Tally.of(uncommitted, producers),
                duplicateIds(committed), duplicateIds(uncommitted));
    }

    private static long duplicateIds(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, Integer> seen = new HashMap<>();
        long duplicates = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (seen.merge(String.valueOf(TopicReader.header(r, "record_id")), 1, Integer::sum) > 1) {
                duplicates++;
            }
        }
        return duplicates;
    }
}
