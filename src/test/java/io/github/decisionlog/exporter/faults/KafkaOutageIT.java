package io.github.decisionlog.exporter.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantee 3, "Kafka down is not an error for producers", against the real exporter process and a real broker
 * process that the test stops and starts: the exporter keeps accepting into the journal, the backlog shows it, and
 * once the broker is back every accepted record arrives.
 */
class KafkaOutageIT extends FaultTest {

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void kafkaOutageUnderLoadLosesNothing() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = Faults.newTopic(broker, "outage");
            // sends give up after 4 s, so that the exporter's own retry with backoff is what carries the outage
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter("spring.kafka.producer.properties.delivery.timeout.ms", "4000",
                            "spring.kafka.producer.properties.request.timeout.ms", "2000"))) {
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(),
                        FaultSettings.ACKNOWLEDGED, Long.MAX_VALUE, 4_000);
                try {
                    Thread.sleep(3_000);
                    double backlogBefore = exporter.scrape().value("decisionlog_backlog_records");

                    broker.stop();
                    long down = System.nanoTime();
                    double maxBacklog = 0;
                    double maxAge = 0;
                    while (System.nanoTime() - down < TimeUnit.SECONDS.toNanos(10)) {
                        Thread.sleep(500);
                        var m = exporter.scrape();
                        maxBacklog = Math.max(maxBacklog, m.value("decisionlog_backlog_records"));
                        maxAge = Math.max(maxAge, m.value("decisionlog_backlog_age_seconds"));
                    }
                    var duringOutage = exporter.scrape();
                    broker.start();

                    Thread.sleep(3_000);
                    Faults.finish(producers, Duration.ofSeconds(30));
                    Faults.await("backlog after the broker came back", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);

                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    Tally.print(String.format("kafka outage: broker down 10 s; backlog before %.0f, max during "
                            + "outage %.0f (oldest %.1f s), publish failures %.0f, then 0",
                            backlogBefore, maxBacklog, maxAge,
                            duringOutage.value("decisionlog_publish_failures_total")));
                    tally.summary("kafkaOutageUnderLoadLosesNothing");

                    assertThat(producers).allSatisfy(p -> {
                        assertThat(p.writeErrors()).as("errors producer %d saw", p.id()).isZero();
                        assertThat(p.connections()).as("connections of producer %d", p.id()).isEqualTo(1);
                    });
                    assertThat(maxBacklog).as("backlog while Kafka is down").isGreaterThan(backlogBefore + 10_000);
                    assertThat(duringOutage.value("decisionlog_publish_failures_total")).isPositive();
                    assertThat(tally.accepted()).isEqualTo(tally.sent());
                    assertThat(tally.missing()).as("accepted records missing in Kafka").isZero();
                    assertThat(tally.problems()).isEmpty();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void brokerUnreachableAtStartup() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            String topic = "unreachable-at-start";
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter())) {
                // ready although Kafka is not there: readiness means "I can accept"
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(),
                        FaultSettings.ACKNOWLEDGED, 10_000, 0);
                try {
                    Faults.awaitDone(producers, Duration.ofSeconds(30));
                    Faults.await("records journaled while Kafka is unreachable", Duration.ofSeconds(20),
                            () -> exporter.scrape().value("decisionlog_journal_appended_total"), v -> v == 20_000);
                    Faults.await("publish failures while Kafka is unreachable", Duration.ofSeconds(30),
                            () -> exporter.scrape().value("decisionlog_publish_failures_total"), v -> v > 0);
                    var before = exporter.scrape();
                    assertThat(before.value("decisionlog_backlog_records")).isEqualTo(20_000);
                    assertThat(before.value("decisionlog_records_published_total")).isZero();

                    broker.start();
                    io.github.decisionlog.exporter.support.TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
                    Faults.await("backlog after the broker started", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);

                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    tally.summary("brokerUnreachableAtStartup");
                    assertThat(producers).allSatisfy(p -> assertThat(p.writeErrors()).isZero());
                    assertThat(tally.accepted()).isEqualTo(20_000);
                    assertThat(tally.missing()).isZero();
                    assertThat(tally.duplicates()).isZero();
                    assertThat(tally.problems()).isEmpty();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }
}
