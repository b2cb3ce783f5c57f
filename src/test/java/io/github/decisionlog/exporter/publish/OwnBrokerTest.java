package io.github.decisionlog.exporter.publish;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A test class with an in-JVM broker of its own that creates no topic by itself (so a missing topic stays missing),
 * keeps the transaction state log on its one broker, and looks for timed-out transactions every 100 ms instead of
 * every 10 s.
 */
abstract class OwnBrokerTest {

    private static EmbeddedKafkaKraftBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperties(Map.of("auto.create.topics.enable", "false",
                "transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1",
                "transaction.state.log.num.partitions", "4",
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", "100"));
        broker.afterPropertiesSet();
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    static String bootstrap() {
        return broker.getBrokersAsString();
    }

    static void createTopic(String topic, int maxMessageBytes) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(maxMessageBytes))))).all().get();
        }
    }

    /** A record of about 20 KB of random hex: batches are compressed, so one made to be too large must not shrink. */
    static String tooLarge() {
        byte[] random = new byte[10_000];
        new Random(42).nextBytes(random);
        return "{\"blob\":\"" + HexFormat.of().formatHex(random) + "\"}";
    }
}
