package io.github.decisionlog.exporter.support;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** A test class with a real KRaft broker in the test JVM for all its tests, and a directory of its own per test. */
public abstract class InJvmKafkaTest {

    private static EmbeddedKafkaKraftBroker broker;

    @TempDir
    protected Path dir;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        // one broker: the transaction state log must fit on it (exactly-once delivery)
        broker.brokerProperties(java.util.Map.of("transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1", "transaction.state.log.num.partitions", "4"));
        broker.afterPropertiesSet();
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    protected static String bootstrap() {
        return broker.getBrokersAsString();
    }
}
