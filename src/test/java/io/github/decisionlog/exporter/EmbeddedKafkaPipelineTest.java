package io.github.decisionlog.exporter;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** The pipeline scenarios against spring-kafka-test's KRaft broker, which runs inside the test JVM. */
class EmbeddedKafkaPipelineTest extends PipelineScenarios {

    private static EmbeddedKafkaKraftBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, 3);
        broker.afterPropertiesSet();
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    @Override
    String bootstrapServers() {
        return broker.getBrokersAsString();
    }
}
