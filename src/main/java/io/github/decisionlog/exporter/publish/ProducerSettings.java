package io.github.decisionlog.exporter.publish;

import java.util.Map;

import io.github.decisionlog.exporter.ExporterProperties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
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

    /**
     * Checks the producer's effective configuration the way the Kafka client will when it creates the producer, which
     * it does only at the first send; and returns the bound of the publisher's window in bytes. Settings the idempotent
     * producer cannot work with (more than 5 requests in flight per connection, no retries, a delivery timeout below
     * linger plus request timeout) and a window that the producer's buffer cannot hold stop start-up, named.
     * Nothing here connects to Kafka.
     */
    static long check(Map<String, Object> producerConfig, ExporterProperties.Publish settings) {
        ProducerConfig config;
        try {
            config = new ProducerConfig(producerConfig);
        } catch (ConfigException e) {
            throw new IllegalStateException("spring.kafka.producer: the idempotent Kafka producer cannot work with "
                    + "these settings: " + e.getMessage(), e);
        }
        long linger = number(config, ProducerConfig.LINGER_MS_CONFIG);
        long requestTimeout = number(config, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        long deliveryTimeout = number(config, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        // the Kafka client raises a delivery timeout it was not given, and refuses one it was given
        if (config.originals().containsKey(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)
                && deliveryTimeout < linger + requestTimeout) {
            throw new IllegalStateException("spring.kafka.producer: delivery.timeout.ms (" + deliveryTimeout
                    + ") must be at least linger.ms + request.timeout.ms (" + linger + " + " + requestTimeout + ")");
        }
        long bufferMemory = number(config, ProducerConfig.BUFFER_MEMORY_CONFIG);
        if (settings.maxInFlightBytes() == null) {
            return bufferMemory / 2;
        }
        long maxBytes = settings.maxInFlightBytes().toBytes();
        if (maxBytes >= bufferMemory) {
            throw new IllegalStateException("exporter.publish.max-in-flight-bytes (" + maxBytes + " bytes) must be "
                    + "below the producer's buffer.memory (" + bufferMemory + " bytes, spring.kafka.producer"
                    + ".buffer-memory), or sends wait for room in the buffer and fail after max.block.ms; half of "
                    + "buffer.memory leaves room for the batches being filled");
        }
        return maxBytes;
    }

    private static long number(ProducerConfig config, String name) {
        return ((Number) config.values().get(name)).longValue();
    }
}
