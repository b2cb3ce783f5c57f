package io.github.decisionlog.exporter.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

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
                        Thread.sleep(1_500 + random.nextInt(1_500));
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

    private static long accepted(List<StreamingProducer> producers) {
        return producers.stream().mapToLong(p -> p.accepted().cardinality()).sum();
    }
}
