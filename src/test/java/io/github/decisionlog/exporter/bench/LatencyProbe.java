package io.github.decisionlog.exporter.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * End-to-end latency as a consumer sees it: for every record that arrives on the topic, this machine's clock minus
 * the record's {@code received_at} header (when the exporter read it from the socket; millisecond precision). So it
 * spans socket read, journal, publish, Kafka's acknowledgement and the consumer's fetch.
 */
final class LatencyProbe implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean recording;
    private long[] samples = new long[1 << 16];
    private int count;

    LatencyProbe(String bootstrapServers, String topic) {
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // records of an exactly-once exporter count once their transaction is committed; the same for others
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now, before any record of the run is sent
        thread = new Thread(this::poll, "latency-probe");
        thread.setDaemon(true);
        thread.start();
    }

    private void poll() {
        while (running) {
            var records = consumer.poll(Duration.ofMillis(100));
            long now = System.currentTimeMillis();
            if (!recording) {
                continue;
            }
            synchronized (this) {
                for (var r : records) {
                    Header h = r.headers().lastHeader("received_at");
                    if (h != null) {
                        add(now - Instant.parse(new String(h.value(), StandardCharsets.US_ASCII)).toEpochMilli());
                    }
                }
            }
        }
    }

    private void add(long millis) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = millis;
    }

    /** Starts counting the records that arrive from now on, forgetting those counted before. */
    synchronized void record() {
        count = 0;
        recording = true;
    }

    /** Stops counting and returns the latencies counted since {@link #record()}. */
    synchronized Percentiles stop() {
        recording = false;
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        return new Percentiles(count, at(sorted, 0.50), at(sorted, 0.99), at(sorted, 0.999));
    }

    private static double at(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(2));
    }

    /** Latencies in milliseconds over {@code count} records. */
    record Percentiles(int count, double p50, double p99, double p999) {
    }
}
