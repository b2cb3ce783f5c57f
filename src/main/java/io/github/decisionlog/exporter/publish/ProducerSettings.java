package io.github.decisionlog.exporter.publish;

import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.support.ProducerListener;

/**
 * The producer settings the delivery guarantee rests on. They override whatever {@code spring.kafka.producer.*} says,
 * so that no configuration can turn the exporter into an at-most-once forwarder.
 */
@Configuration(proxyBeanMethods = false)
class ProducerSettings {

    static final Map<String, Object> REQUIRED = Map.of(
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);

    /**
     * Replaces spring-kafka's logging listener, which logs an error with a stack trace for every failed send: during
     * a Kafka outage that is one per record. The publisher logs once when Kafka is lost and once when it is back.
     */
    @Bean
    ProducerListener<Object, Object> quietProducerListener() {
        return new ProducerListener<>() {
        };
    }

    @Bean
    DefaultKafkaProducerFactoryCustomizer exporterProducerSettings() {
        return factory -> factory.updateConfigs(REQUIRED);
    }
}
