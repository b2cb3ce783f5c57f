package io.github.decisionlog.exporter;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Runs the exporter against a Kafka broker inside the same JVM, for trying it out with no Kafka of one's own:
 * {@code ./mvnw spring-boot:test-run}. Every record that reaches the topic is printed.
 */
public class TestExporterApplication {

    public static void main(String[] args) {
        String topic = System.getProperty("exporter.publish.topic", "gatekeeper-decisions");
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 3, topic);
        broker.afterPropertiesSet();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy, "embedded-kafka-stop"));
        System.setProperty("spring.kafka.bootstrap-servers", broker.getBrokersAsString());
        System.setProperty("spring.kafka.consumer.group-id", "decision-log-exporter-demo");
        System.setProperty("spring.kafka.consumer.auto-offset-reset", "earliest");
        System.setProperty("spring.kafka.consumer.key-deserializer",
                "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        System.setProperty("spring.kafka.consumer.value-deserializer",
                "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        SpringApplication.from(ExporterApplication::main).with(TopicPrinter.class).run(args);
    }

    /** Prints what arrives on the topic, so a newcomer sees decisions flow. */
    @TestConfiguration(proxyBeanMethods = false)
    static class TopicPrinter {

        private static final Logger log = LoggerFactory.getLogger("kafka-topic");

        @KafkaListener(topics = "${exporter.publish.topic}")
        void print(ConsumerRecord<byte[], byte[]> record) {
            StringBuilder headers = new StringBuilder();
            record.headers().forEach(h -> headers.append(' ').append(h.key()).append('=')
                    .append(new String(h.value(), StandardCharsets.UTF_8)));
            log.info("{}-{}@{} key={}{}\n  {}", record.topic(), record.partition(), record.offset(),
                    record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8), headers,
                    new String(record.value(), StandardCharsets.UTF_8));
        }
    }
}
