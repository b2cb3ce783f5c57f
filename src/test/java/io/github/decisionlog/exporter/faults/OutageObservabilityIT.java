package io.github.decisionlog.exporter.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator sees through a Kafka outage, from metrics and health alone: with Kafka up, then down, then up,
 * the backlog and its age grow and drain, the {@code kafka} health component goes down and comes back, and readiness
 * and liveness stay up throughout, so the sidecar never takes Gatekeeper's pod out of service.
 */
class OutageObservabilityIT extends FaultTest {

    /** One look at the exporter: backlog, age, and the status of health, readiness, liveness and the kafka part. */
    record Look(double backlog, double age, int readiness, int liveness, String kafka) {
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void metricsAndHealthTellTheStoryOfAKafkaOutage() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = Faults.newTopic(broker, "observed-outage");
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter("exporter.health.kafka-check-interval", "1s",
                            "spring.kafka.producer.properties.delivery.timeout.ms", "4000",
                            "spring.kafka.producer.properties.request.timeout.ms", "2000"))) {
                List<StreamingProducer> producers = List.of(
                        new StreamingProducer(0, exporter.socket(), true, Long.MAX_VALUE, 4_000).rate(2_000).start());
                try {
                    Thread.sleep(3_000);
                    Look up = look(exporter);

                    broker.stop();
                    List<Look> down = new ArrayList<>();
                    for (int i = 0; i < 12; i++) {
                        Thread.sleep(1_000);
                        down.add(look(exporter));
                    }

                    broker.start();
                    Faults.finish(producers, Duration.ofSeconds(30));
                    Faults.await("backlog drained", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
                    Faults.await("kafka health back", Duration.ofSeconds(30),
                            () -> "UP".equals(look(exporter).kafka()) ? 1 : 0, v -> v == 1);
                    Look after = look(exporter);
                    Tally.print("outage as seen by an operator: up " + up + "; down " + down + "; after " + after);

                    assertThat(up.kafka()).isEqualTo("UP");
                    Look last = down.get(down.size() - 1);
                    assertThat(last.backlog()).as("backlog grows while Kafka is down")
                            .isGreaterThan(down.get(1).backlog()).isGreaterThan(up.backlog() + 10_000);
                    assertThat(last.age()).as("the oldest record ages with the outage").isGreaterThan(8);
                    assertThat(last.kafka()).as("the kafka health component").isEqualTo("DOWN");
                    assertThat(down).as("readiness and liveness during the outage")
                            .allSatisfy(l -> assertThat(l.readiness()).isEqualTo(200))
                            .allSatisfy(l -> assertThat(l.liveness()).isEqualTo(200));
                    assertThat(after.backlog()).isZero();
                    assertThat(after.age()).isZero();
                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    tally.summary("metricsAndHealthTellTheStoryOfAKafkaOutage");
                    assertThat(tally.missing()).isZero();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    private static Look look(ExporterProcess exporter) {
        var metrics = exporter.scrape();
        HttpResponse<String> health = exporter.get("/actuator/health");
        JsonNode kafka = JsonMapper.shared().readTree(health.body()).at("/components/kafka/status");
        return new Look(metrics.value("decisionlog_backlog_records"), metrics.value("decisionlog_backlog_age_seconds"),
                exporter.get("/actuator/health/readiness").statusCode(),
                exporter.get("/actuator/health/liveness").statusCode(), kafka.asString());
    }
}
