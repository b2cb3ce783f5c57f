package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The publisher's counters and latency histogram, one set per source. Used from the publisher's thread only. */
final class PublishMeters {

    /** Buckets of the end-to-end latency histogram: from a local hop to a long Kafka outage. */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(15), Duration.ofHours(1)};

    /** The meters of one source. */
    static final class Source {
        final Counter published;
        final Timer latency;

        Source(Counter published, Timer latency) {
            this.published = published;
            this.latency = latency;
        }

        void acknowledged(long receivedAtMillis, long nowMillis) {
            published.increment();
            latency.record(Math.max(0, nowMillis - receivedAtMillis), TimeUnit.MILLISECONDS);
        }
    }

    private final MeterRegistry registry;
    private final Map<String, Source> sources = new HashMap<>();
    private final Counter retries;
    private final Counter skippedRejects;
    private final Counter committed;
    private final Counter aborted;

    PublishMeters(MeterRegistry registry) {
        this.registry = registry;
        this.retries = Counter.builder("decisionlog.publish.retries")
                .description("Times the publisher went back to the acknowledged position to send again")
                .register(registry);
        this.skippedRejects = Counter.builder("decisionlog.records.dropped").tag("reason", "no_rejects_topic")
                .description("Journaled rejects skipped because exporter.publish.rejects-topic is no longer set")
                .register(registry);
        // both outcomes exist in either delivery mode (0 with at-least-once), so that dashboards find them
        this.committed = Counter.builder("decisionlog.publish.transactions").tag("outcome", "committed")
                .description("Kafka transactions of the exactly-once delivery, by outcome").register(registry);
        this.aborted = Counter.builder("decisionlog.publish.transactions").tag("outcome", "aborted")
                .description("Kafka transactions of the exactly-once delivery, by outcome").register(registry);
    }

    Source source(String source) {
        return sources.computeIfAbsent(source, s -> new Source(
                Counter.builder("decisionlog.records.published").tag("source", s)
                        .description("Records Kafka acknowledged").register(registry),
                Timer.builder("decisionlog.publish.latency").tag("source", s)
                        .description("From receiving a record to Kafka acknowledging it")
                        .serviceLevelObjectives(LATENCY_BUCKETS)
                        .register(registry)));
    }

    /** A send failed; counted by the simple name of its root cause. */
    void failed(Throwable cause) {
        String reason = DeadLetters.rootCause(cause).getClass().getSimpleName();
        Counter.builder("decisionlog.publish.failures").tag("reason", reason)
                .description("Failed sends to Kafka; the records are sent again").register(registry).increment();
        retries.increment();
    }

    /** A journaled reject skipped: refused at ingest while a rejects topic was set; none is now. */
    void skippedReject() {
        skippedRejects.increment();
    }

    void transactionCommitted() {
        committed.increment();
    }

    void transactionAborted() {
        aborted.increment();
    }
}
