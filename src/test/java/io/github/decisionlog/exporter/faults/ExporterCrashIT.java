package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantees 1, 2 and 7 against the real exporter process: a {@code kill -9} loses no record the exporter
 * acknowledged, publishing resumes after the last record Kafka acknowledged, and a SIGTERM stops it cleanly so that
 * the next start goes on without a gap or a duplicate.
 */
class ExporterCrashIT extends FaultTest {

    private static final int KILLS = 5;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void acceptedRecordsSurviveRepeatedKill9() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = Faults.newTopic(broker, "kill9");
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter())) {
                List<StreamingProducer> producers = Faults.startProducers(3, exporter.socket(), true,
                        Long.MAX_VALUE, 0);
                List<String> kills = new ArrayList<>();
                Random random = new Random(4);
                try {
                    for (int kill = 1; kill <= KILLS; kill++) {
                        Thread.sleep(1_000 + random.nextInt(1_500));
                        long acceptedBefore = accepted(producers);
                        exporter.kill9();
                        kills.add("kill " + kill + " after " + acceptedBefore + " acknowledged, exit "
                                + exporter.exitCode());
                        exporter.start(); // on the journal the killed process left
                    }
                    Thread.sleep(2_000);
                    Faults.finish(producers, Duration.ofSeconds(60));
                    Faults.await("backlog after the last restart", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);

                    var metrics = exporter.scrape();
                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(90));
                    kills.forEach(k -> Tally.print("kill9: " + k));
                    Tally.print(String.format("kill9: journal recoveries after the last kill %.0f; producer "
                            + "connections %s", metrics.value("decisionlog_journal_recoveries_total"),
                            producers.stream().map(p -> String.valueOf(p.connections())).toList()));
                    tally.summary("acceptedRecordsSurviveRepeatedKill9 (" + KILLS + " kills)");

                    assertThat(tally.missing()).as("acknowledged records missing in Kafka").isZero();
                    assertThat(tally.problems()).isEmpty();
                    assertThat(producers).allSatisfy(p -> assertThat(p.connections()).isGreaterThan(KILLS));
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void gracefulStopOnSigtermResumesWithoutGapOrDuplicate() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = Faults.newTopic(broker, "sigterm");
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter())) {
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                        Long.MAX_VALUE, 0);
                try {
                    Thread.sleep(3_000);
                    long started = System.nanoTime();
                    int exitCode = exporter.sigterm(Duration.ofSeconds(40));
                    double stopSeconds = (System.nanoTime() - started) / 1e9;
                    long acceptedAtStop = accepted(producers);
                    exporter.start();
                    Thread.sleep(2_000);
                    Faults.finish(producers, Duration.ofSeconds(60));
                    Faults.await("backlog after the restart", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);

                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    Tally.print(String.format("sigterm: exit code %d after %.1f s, %d acknowledged before the stop",
                            exitCode, stopSeconds, acceptedAtStop));
                    tally.summary("gracefulStopOnSigtermResumesWithoutGapOrDuplicate");

                    assertThat(exitCode).as("exit code after SIGTERM").isZero();
                    assertThat(tally.missing()).as("acknowledged records missing in Kafka").isZero();
                    assertThat(tally.duplicates()).as("duplicates in Kafka").isZero();
                    assertThat(tally.problems()).isEmpty();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    /**
     * A journal file damaged while the exporter was down (here: the header of the newest file overwritten with
     * noise) must not make the exporter crash-loop: it starts, says so in the log and a metric, and new records flow.
     * What the damaged part held may be lost; that is reported, not asserted.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void damagedJournalNeverCausesACrashLoop() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = Faults.newTopic(broker, "damaged");
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter())) {
                StreamingProducer before = new StreamingProducer(0, exporter.socket(), true, 20_000, 20_000).start();
                StreamingProducer after = new StreamingProducer(1, exporter.socket(), true, 10_000, 20_000);
                try {
                    Faults.awaitDone(List.of(before), Duration.ofSeconds(30));
                    exporter.kill9();
                    Path damaged = newestJournalFile(exporter.journalDir().resolve("queue"));
                    byte[] noise = new byte[4096];
                    new Random(7).nextBytes(noise);
                    try (FileChannel file = FileChannel.open(damaged, StandardOpenOption.WRITE)) {
                        file.write(ByteBuffer.wrap(noise), 0);
                    }

                    exporter.start(); // fails the test if the exporter cannot start on the damaged journal
                    after.start();
                    Faults.awaitDone(List.of(after), Duration.ofSeconds(30));
                    Faults.await("backlog after the restart", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
                    var metrics = exporter.scrape();
                    assertThat(exporter.isRunning()).isTrue();

                    List<ConsumerRecord<byte[], byte[]>> records =
                            TopicReader.readAll(broker.bootstrapServers(), topic, 10_000, Duration.ofSeconds(60));
                    Tally beforeDamage = Tally.of(records, List.of(before));
                    Tally afterDamage = Tally.of(records, List.of(after));
                    long clearLines = exporter.log().lines().filter(l -> l.contains("moved it aside")).count();
                    Tally.print(String.format("damaged journal: recoveries metric %.0f, log lines saying so %d; "
                            + "accepted before the damage %d, of them in Kafka %d", metrics.value(
                            "decisionlog_journal_recoveries_total"), clearLines, beforeDamage.accepted(),
                            beforeDamage.inKafka()));
                    afterDamage.summary("damagedJournalNeverCausesACrashLoop (records sent after the restart)");

                    assertThat(afterDamage.accepted()).isEqualTo(10_000);
                    assertThat(afterDamage.missing()).isZero();
                    assertThat(afterDamage.duplicates()).isZero();
                    if (beforeDamage.missing() > 0) {
                        assertThat(metrics.value("decisionlog_journal_recoveries_total"))
                                .as("records were lost with the damaged part: the metric must say so").isPositive();
                        assertThat(clearLines).as("a log line saying what was moved aside").isPositive();
                    }
                } finally {
                    Faults.closeAll(List.of(before, after));
                }
            }
        }
    }

    private static Path newestJournalFile(Path queue) throws IOException {
        try (Stream<Path> files = Files.list(queue)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".cq4"))
                    .max(Comparator.comparing(f -> f.getFileName().toString()))
                    .orElseThrow(() -> new IllegalStateException("no journal file in " + queue));
        }
    }

    private static long accepted(List<StreamingProducer> producers) {
        return producers.stream().mapToLong(p -> p.accepted().cardinality()).sum();
    }
}
