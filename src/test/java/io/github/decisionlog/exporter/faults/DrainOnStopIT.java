package io.github.decisionlog.exporter.faults;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.decisionlog.exporter.support.TopicReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantee 7 as a pod sees it: the kubelet sends SIGTERM on every upgrade, node drain or eviction, and then deletes
 * the pod with its journal volume. The exporter must use the grace period to send its backlog, and say what it could
 * not send.
 */
class DrainOnStopIT extends FaultTest {

    private static final Pattern DRAINED = Pattern.compile("drained (\\d+) records in ([0-9.]+) s; (nothing is left"
            + "|(\\d+) records are left)");

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void sigtermSendsABacklogOfHalfAMillionRecordsBeforeExiting() throws Exception {
        int drainSeconds = 45; // what the chart sets in Gatekeeper's pods: a grace period of 60 s less a margin
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            String topic = "drain";
            ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(), topic,
                    FaultSettings.exporter("exporter.publish.drain-timeout", drainSeconds + "s"));
            List<StreamingProducer> producers = Faults.startProducers(4, exporter.socket(), true, 125_000, 0);
            try {
                Faults.awaitDone(producers, Duration.ofSeconds(120));
                double backlog = exporter.scrape().value("decisionlog_backlog_records");
                assertThat(backlog).as("backlog while Kafka is away").isGreaterThanOrEqualTo(500_000);

                broker.start();
                TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
                long started = System.nanoTime();
                int exitCode = exporter.sigterm(Duration.ofSeconds(drainSeconds + 20));
                double stopSeconds = (System.nanoTime() - started) / 1e9;
                Matcher drained = drainLine(exporter);

                Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(120));
                Tally.print(String.format("drain on SIGTERM: backlog %.0f, exit %d after %.1f s (drain deadline %d s); "
                        + "exporter says %s", backlog, exitCode, stopSeconds, drainSeconds, drained.group()));
                tally.summary("sigtermSendsABacklogOfHalfAMillionRecordsBeforeExiting");

                assertThat(exitCode).isZero();
                assertThat(stopSeconds).as("stopped within the drain deadline").isLessThan(drainSeconds);
                assertThat(drained.group(3)).isEqualTo("nothing is left");
                assertThat(tally.accepted()).isEqualTo(500_000);
                assertThat(tally.missing()).as("records missing in Kafka after the drain").isZero();
                assertThat(tally.problems()).isEmpty();
            } finally {
                Faults.closeAll(producers);
                exporter.close();
            }
        }
    }

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void sigtermWithKafkaAwayExitsAtTheDeadlineAndSaysHowManyAreLeft() throws Exception {
        int drainSeconds = 8;
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            String topic = "drain-away";
            ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(), topic,
                    FaultSettings.exporter("exporter.publish.drain-timeout", drainSeconds + "s"));
            List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true, 10_000, 0);
            try {
                Faults.awaitDone(producers, Duration.ofSeconds(60));
                long started = System.nanoTime();
                exporter.sendSigterm();
                Thread.sleep(3_000);
                // during the drain the probes and the metrics still answer: the kubelet keeps probing
                double leftDuringDrain = exporter.scrape().value("decisionlog_drain_records_left");
                int liveness = exporter.get("/actuator/health/liveness").statusCode();
                int exitCode = exporter.awaitExit(Duration.ofSeconds(drainSeconds + 30));
                double stopSeconds = (System.nanoTime() - started) / 1e9;
                Matcher drained = drainLine(exporter);
                Tally.print(String.format("drain on SIGTERM, Kafka away: exit %d after %.1f s (drain deadline %d s); "
                        + "during the drain decisionlog_drain_records_left %.0f, liveness %d; exporter says %s",
                        exitCode, stopSeconds, drainSeconds, leftDuringDrain, liveness, drained.group()));

                assertThat(leftDuringDrain).isEqualTo(20_000);
                assertThat(liveness).isEqualTo(200);
                assertThat(exitCode).isZero();
                assertThat(stopSeconds).as("waited for the drain deadline, not much longer")
                        .isBetween((double) drainSeconds, drainSeconds + 15.0);
                assertThat(drained.group(4)).as("records left, as logged").isEqualTo("20000");

                // a container restart keeps the volume: the next start sends what the drain left
                broker.start();
                TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
                exporter.start();
                Faults.await("backlog after the restart", Duration.ofSeconds(60),
                        () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
                Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                tally.summary("sigtermWithKafkaAwayExitsAtTheDeadlineAndSaysHowManyAreLeft");
                assertThat(tally.accepted()).isEqualTo(20_000);
                assertThat(tally.missing()).isZero();
            } finally {
                Faults.closeAll(producers);
                exporter.close();
            }
        }
    }

    private Matcher drainLine(ExporterProcess exporter) throws Exception {
        String log = Files.readString(dir.resolve("exporter").resolve("exporter.log"), StandardCharsets.UTF_8);
        Matcher m = DRAINED.matcher(log);
        Matcher last = null;
        while (m.find()) {
            last = DRAINED.matcher(m.group());
            last.matches();
        }
        assertThat(last).as("the drain's log line in " + Path.of("exporter.log")).isNotNull();
        return last;
    }
}
