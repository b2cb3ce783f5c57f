package io.github.decisionlog.exporter.publish;

import java.nio.file.Path;
import java.util.Map;

import io.github.decisionlog.exporter.support.ExporterRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Producer settings that the idempotent producer cannot work with stop start-up with a message that names them,
 * instead of failing every send later while the exporter reports ready. No broker is needed to get that far.
 */
class ProducerSettingsTest {

    @TempDir
    Path dir;

    private String startupFailure(Map<String, Object> settings) {
        return ExporterRun.startupFailure(dir, settings);
    }

    @Test
    void moreThanFiveRequestsInFlightPerConnectionIsNamed() {
        assertThat(startupFailure(Map.of("spring.kafka.producer.properties.max.in.flight.requests.per.connection", "6")))
                .contains("max.in.flight.requests.per.connection");
    }

    @Test
    void noRetriesIsNamed() {
        assertThat(startupFailure(Map.of("spring.kafka.producer.retries", "0")))
                .contains("retries");
    }

    @Test
    void aDeliveryTimeoutBelowLingerPlusRequestTimeoutIsNamed() {
        assertThat(startupFailure(Map.of("spring.kafka.producer.properties.delivery.timeout.ms", "1000",
                "spring.kafka.producer.properties.request.timeout.ms", "10000")))
                .contains("delivery.timeout.ms");
    }

    @Test
    void anInFlightByteBoundThatTheProducerBufferCannotHoldIsNamed() {
        assertThat(startupFailure(Map.of("exporter.publish.max-in-flight-bytes", "32MB")))
                .contains("exporter.publish.max-in-flight-bytes")
                .contains("buffer.memory");
    }

    @Test
    void goodSettingsStart() {
        ExporterRun.start(dir, "localhost:1", "unused", Map.of("exporter.publish.max-in-flight-bytes", "8MB",
                "spring.kafka.producer.buffer-memory", "16MB")).close();
    }
}
