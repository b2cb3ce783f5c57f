package io.github.decisionlog.exporter.publish;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What exactly-once costs against at-least-once, measured in one run: end-to-end throughput (records of about 1 KB
 * written to the socket as fast as it takes them, until the last is acknowledged by Kafka; with exactly-once, until
 * its transaction is committed) and, before that, the end-to-end latency at a steady 2,000 records/s. Prints, never asserts (the
 * machine is shared). Run with {@code -Dpublish.eos.records=200000}.
 */
@EnabledIfSystemProperty(named = "publish.eos.records", matches = "\\d+")
class ExactlyOnceCostTest extends InJvmKafkaTest {

    @Test
    void printsThroughputAndLatencyOfEachDelivery() throws Exception {
        int records = Integer.getInteger("publish.eos.records");
        Map<String, Map<String, Object>> modes = new LinkedHashMap<>();
        modes.put("at-least-once", Map.of());
        for (String interval : new String[] {"100ms", "500ms"}) {
            modes.put("exactly-once " + interval, Map.of("exporter.publish.delivery", "exactly-once",
                    "exporter.publish.transaction-interval", interval, "exporter.publish.transaction-records",
                    "8192", "exporter.publish.offsets-topic", "offsets-cost"));
        }
        int run = 0;
        for (int round = 0; round < 2; round++) {
            for (var mode : modes.entrySet()) {
                run++;
                String topic = "cost-" + run;
                TopicReader.createTopic(bootstrap(), topic, 3);
                Map<String, Object> settings = new LinkedHashMap<>(mode.getValue());
                settings.put("exporter.journal.max-size", "4GB");
                Path runDir = dir.resolve("run-" + run);
                try (ExporterRun exporter = ExporterRun.start(runDir, bootstrap(), topic, settings)) {
                    Journal journal = exporter.bean(Journal.class);
                    MeterRegistry registry = exporter.bean(MeterRegistry.class);
                    try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                        long next = System.nanoTime();
                        for (int i = 0; i < 10_000; i++) { // 2,000 records/s for 5 s
                            producer.sendLine(DecisionRecords.violation(1, i % 100, i));
                            next += TimeUnit.MICROSECONDS.toNanos(500);
                            long wait = next - System.nanoTime();
                            if (wait > 0) {
                                TimeUnit.NANOSECONDS.sleep(wait);
                            }
                        }
                    }
                    await(journal, 10_000L);
                    String latency = latency(registry);

                    long started = System.nanoTime();
                    try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                        for (int i = 0; i < records; i++) {
                            producer.sendLine(DecisionRecords.violation(0, i % 100, i));
                        }
                    }
                    await(journal, records + 10_000L);
                    double seconds = (System.nanoTime() - started) / 1e9;
                    System.out.printf("eos cost: %-20s %d records of ~1 KB end to end in %.2f s: %.0f records/s; "
                            + "at 2,000 records/s latency %s (round %d, %d cores, load %s)%n", mode.getKey(),
                            records, seconds, records / seconds, latency, round + 1,
                            Runtime.getRuntime().availableProcessors(), load());
                }
            }
        }
    }

    private static void await(Journal journal, long appended) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while ((journal.appendedCount() < appended || journal.backlogRecords() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
    }

    /** Mean, median and 99th percentile (bucket upper bounds) of the end-to-end latency so far. */
    private static String latency(MeterRegistry registry) {
        Timer timer = registry.find("decisionlog.publish.latency").tag("source", "socket").timer();
        var snapshot = timer.takeSnapshot();
        long total = snapshot.count();
        double mean = snapshot.mean(TimeUnit.MILLISECONDS);
        String p50 = null;
        String p99 = null;
        for (CountAtBucket b : snapshot.histogramCounts()) {
            if (p50 == null && b.count() >= total * 0.5) {
                p50 = "<= " + (long) b.bucket(TimeUnit.MILLISECONDS) + " ms";
            }
            if (p99 == null && b.count() >= total * 0.99) {
                p99 = "<= " + (long) b.bucket(TimeUnit.MILLISECONDS) + " ms";
            }
        }
        return String.format("mean %.1f ms over all %d records, median %s, p99 %s, max %.0f ms", mean, total, p50,
                p99, snapshot.max(TimeUnit.MILLISECONDS));
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
