package io.github.decisionlog.exporter.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.decisionlog.exporter.faults.KafkaBrokerProcess;
import io.github.decisionlog.exporter.faults.StreamingProducer;
import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.TopicReader;

/**
 * The end-to-end benchmark ({@code ./mvnw -B -Pbenchmark verify}): a Kafka broker, the exporter jar and a load
 * generator, each in a process of its own, on this machine. Prints a Markdown table and writes it to
 * {@code target/benchmark.md}. The steps, in order:
 * <ol>
 * <li>the broker warmed with Kafka's ProducerPerformance (a broker in production has long been running);</li>
 * <li>ingest with the publisher paused (the exporter points at a port where no broker listens), {@code sync: none}
 * then {@code batch}, each on a fresh exporter;</li>
 * <li>a fresh exporter on the broker: memory when idle; latency at 1k/s and 10k/s (memory sampled meanwhile);
 * end-to-end throughput with the producers at full speed; then a burst into another freshly started exporter, cold
 * and warm; then exactly-once delivery;</li>
 * <li>Kafka's ProducerPerformance on the same broker, with Kafka's default producer settings and with the exporter's;</li>
 * <li>the {@code sync: none} exporter again, now pointed at the broker: the time to drain what step 1 journaled.</li>
 * </ol>
 */
public final class EndToEndBenchmark {

    private static final int CONNECTIONS = 4;
    private static final long INGEST_RECORDS = 1_000_000; // becomes the backlog that step 4 drains
    private static final long INGEST_RECORDS_BATCH = 500_000;
    private static final long PRODUCER_PERFORMANCE_RECORDS = 500_000;
    private static final long BURST_RECORDS = 300_000;
    private static final long BROKER_WARM_UP_RECORDS = 300_000;
    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration MEASURED = Duration.ofSeconds(12);
    private static final Duration TIMEOUT = Duration.ofSeconds(150);
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    /** The producer settings of application.yaml (acks=all and idempotence the exporter always sets). */
    private static final Map<String, String> EXPORTER_PRODUCER = Map.of("acks", "all", "enable.idempotence", "true",
            "compression.type", "lz4", "batch.size", "131072", "linger.ms", "5");
    private static final Map<String, String> KAFKA_DEFAULTS = Map.of("acks", "all", "enable.idempotence", "true");

    private final Path dir;
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> startUps = new ArrayList<>();
    private final String[][] lines = new String[CONNECTIONS][];
    private final double recordBytes;
    private KafkaBrokerProcess broker;

    private EndToEndBenchmark(Path dir) {
        this.dir = dir;
        long bytes = 0;
        for (int p = 0; p < CONNECTIONS; p++) {
            lines[p] = new String[1000];
            for (int i = 0; i < lines[p].length; i++) {
                lines[p][i] = DecisionRecords.violation(p, i % 50, i);
                bytes += lines[p][i].getBytes(StandardCharsets.UTF_8).length;
            }
        }
        recordBytes = (double) bytes / (CONNECTIONS * 1000);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Benchmarks.basedir().resolve("target/benchmark");
        deleteRecursively(dir);
        Files.createDirectories(dir);
        System.setProperty("logback.configurationFile", Benchmarks.quietLogging(dir).toString());
        String report = new EndToEndBenchmark(dir).run();
        Files.writeString(Benchmarks.basedir().resolve("target/benchmark.md"), report, StandardCharsets.UTF_8);
        System.out.println();
        System.out.println(report);
        System.out.println("Written to target/benchmark.md; processes' logs are in target/benchmark/.");
        System.exit(0);
    }

    private String run() throws Exception {
        Instant began = Instant.now();
        String loadBefore = Benchmarks.loadAverage();
        String closedPort = "127.0.0.1:" + Benchmarks.freePort();
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            step("starting the Kafka broker");
            broker.start();
            this.broker = broker;
            String bootstrap = broker.bootstrapServers();
            for (String topic : List.of("decisions", "burst", "decisions-exactly-once-100ms", "decisions-exactly-once-500ms", "drain",
                    "perf-defaults", "perf-exporter", "broker-warm-up")) {
                TopicReader.createTopic(bootstrap, topic, 3);
            }
            // a broker in production has long been running: warm this one's request handling (its JIT) before the
            // exporter's rows, so that they measure a fresh exporter, not a fresh broker
            step("warming the broker: Kafka's ProducerPerformance, " + BROKER_WARM_UP_RECORDS + " records");
            Path payload = dir.resolve("payload.ndjson");
            Files.write(payload, List.of(lines[0]), StandardCharsets.UTF_8);
            ProducerPerformanceRun.run(dir, "broker-warm-up", bootstrap, "broker-warm-up", BROKER_WARM_UP_RECORDS,
                    payload, EXPORTER_PRODUCER);

            // 1. ingest into the journal with the publisher paused
            // no broker to drain to when they stop: a short drain deadline instead of waiting 20 s for nothing
            ExporterJar none = new ExporterJar(dir.resolve("exporter-sync-none"), closedPort, "drain",
                    Map.of("exporter.journal.sync", "none", "exporter.publish.drain-timeout", "1s"));
            double ingestNone;
            try (ExporterJar batch = new ExporterJar(dir.resolve("exporter-sync-batch"), closedPort, "drain",
                    Map.of("exporter.journal.sync", "batch", "exporter.publish.drain-timeout", "1s"))) {
                step("ingest, sync none: " + INGEST_RECORDS + " records");
                startUps.add(seconds(none.start()) + " (fresh journal)");
                ingestNone = ingest(none, INGEST_RECORDS);
                none.stop();
                step("ingest, sync batch: " + INGEST_RECORDS_BATCH + " records");
                startUps.add(seconds(batch.start()) + " (fresh journal)");
                double ingestBatch = ingest(batch, INGEST_RECORDS_BATCH);
                batch.stop();
                row("Ingest into the journal, `sync: none`, publisher paused", rate(ingestNone), "≥ 300,000 records/s");
                row("Ingest into the journal, `sync: batch` (fsync every 100 ms or 1,000 records)", rate(ingestBatch)
                        + String.format(Locale.ROOT, " (%.0f%% of `none`)", 100 * ingestBatch / ingestNone),
                        "≥ 200,000 records/s");
            }

            // 2. a fresh exporter on the broker: memory, latency, end-to-end throughput
            double endToEnd;
            double drain;
            // the Kafka client's averages over its last 5 to 10 s instead of 30 to 60, so that each latency row's
            // split between the producer's queue and the broker's answer covers that row's load only
            try (ExporterJar exporter = new ExporterJar(dir.resolve("exporter"), bootstrap, "decisions",
                    Map.of("spring.kafka.producer.properties.metrics.sample.window.ms", "5000"));
                    LatencyProbe probe = new LatencyProbe(bootstrap, "decisions")) {
                step("memory idle, latency at 1k/s and 10k/s, end-to-end throughput");
                startUps.add(seconds(exporter.start()) + " (fresh journal)");
                Benchmarks.sleep(5000);
                ExporterJar.Memory idle = exporter.memory(exporter.scrape());
                latency(exporter, probe, 1_000, "");
                ExporterJar.Memory loaded = latency(exporter, probe, 10_000, "");
                // the same light load once the code is compiled: tells a cold JIT from a light load's own waits
                latency(exporter, probe, 1_000, ", after the 10,000/s run");
                endToEnd = endToEnd(exporter, "");
                row("Exporter memory, idle (5 s after ready)", memory(idle), "");
                row("Exporter memory at 10,000 records/s (highest RSS of 1 s samples, heap at start and end)", memory(loaded), "RSS < 180 MiB");
            }

            // 2a. a burst on a freshly started exporter (the backlog after a restart, an audit run's violations): no
            // warm-up, then the same burst again on the now warm exporter
            try (ExporterJar burst = new ExporterJar(dir.resolve("exporter-burst"), bootstrap, "burst", Map.of())) {
                step("a burst of " + BURST_RECORDS + " records on a freshly started exporter, then another");
                startUps.add(seconds(burst.start()) + " (fresh journal)");
                // the JIT compilers' time and the exporter's CPU in each burst: where the cold one's extra time goes
                DoubleSupplier cpu = Benchmarks.cpuFromNow(burst.pid());
                DoubleSupplier compiling = Benchmarks.compilingFromNow(burst.pid());
                double cold = burst(burst);
                double coldCpu = cpu.getAsDouble();
                double coldCompiling = compiling.getAsDouble();
                cpu = Benchmarks.cpuFromNow(burst.pid());
                compiling = Benchmarks.compilingFromNow(burst.pid());
                double warm = burst(burst);
                double warmCpu = cpu.getAsDouble();
                double warmCompiling = compiling.getAsDouble();
                row(String.format(Locale.ROOT, "A burst of %,d records into a freshly started exporter (cold), then "
                        + "%,d more (warm), first write to Kafka's acknowledgement of the last", BURST_RECORDS,
                        BURST_RECORDS), String.format(Locale.ROOT, "cold %s; warm %s; cold is %.2f of warm; the "
                                + "exporter's CPU cold %.1f s, of it JIT compiling %.1f s; warm %.1f s, compiling %.1f s",
                                rate(cold), rate(warm), cold / warm, coldCpu, coldCompiling, warmCpu,
                                warmCompiling), "cold ≥ 0.8 × warm");
            }

            // 2b. the same with exactly-once delivery, at two transaction intervals, each on a fresh exporter and a
            // topic of its own (a transaction the previous exporter left open would hold read_committed back)
            for (String interval : List.of("100ms", "500ms")) {
                String topic = "decisions-exactly-once-" + interval;
                try (ExporterJar exactlyOnce = new ExporterJar(dir.resolve("exporter-exactly-once-" + interval),
                        bootstrap, topic, Map.of("exporter.publish.delivery", "exactly-once",
                                "exporter.publish.transaction-interval", interval));
                        LatencyProbe probe = new LatencyProbe(bootstrap, topic)) {
                    step("exactly-once, transaction-interval " + interval + ": latency at 10k/s, end to end");
                    startUps.add(seconds(exactlyOnce.start()) + " (fresh journal, exactly-once)");
                    latency(exactlyOnce, probe, 10_000, ", exactly-once every " + interval);
                    double rate = endToEnd(exactlyOnce, ", exactly-once every " + interval);
                    row("Exactly-once every " + interval + " against at-least-once, end to end",
                            String.format(Locale.ROOT, "%.2f", rate / endToEnd), "≥ 0.70");
                }
            }

            // 3. Kafka's own producer on the same broker, each setting twice, alternating; the better run counts
            step("Kafka's ProducerPerformance, " + PRODUCER_PERFORMANCE_RECORDS + " records, 2 runs of each setting");
            List<Double> kafkaDefaults = new ArrayList<>();
            List<Double> exporterSettings = new ArrayList<>();
            List<Double> exporterSettingsCpu = new ArrayList<>(); // µs of CPU a record, the JVM's start included
            for (int run = 1; run <= 2; run++) {
                kafkaDefaults.add(ProducerPerformanceRun.run(dir, "defaults-" + run, bootstrap, "perf-defaults",
                        PRODUCER_PERFORMANCE_RECORDS, payload, KAFKA_DEFAULTS).recordsPerSecond());
                DoubleSupplier cpu = Benchmarks.endedChildrenCpuFromNow();
                exporterSettings.add(ProducerPerformanceRun.run(dir, "exporter-settings-" + run, bootstrap,
                        "perf-exporter", PRODUCER_PERFORMANCE_RECORDS, payload, EXPORTER_PRODUCER).recordsPerSecond());
                exporterSettingsCpu.add(cpu.getAsDouble() * 1e6 / PRODUCER_PERFORMANCE_RECORDS);
            }
            double bestDefaults = Collections.max(kafkaDefaults);
            double bestExporterSettings = Collections.max(exporterSettings);
            row("Kafka `ProducerPerformance`, Kafka's default producer settings (acks=all, idempotent), better of 2",
                    rate(bestDefaults) + " (runs: " + perSecond(kafkaDefaults) + ")", "");
            row("Kafka `ProducerPerformance`, the exporter's producer settings (plus lz4, batch 128 KB, linger 5 ms), "
                    + "better of 2", rate(bestExporterSettings) + " (runs: " + perSecond(exporterSettings) + String.format(
                            Locale.ROOT, "; %.1f and %.1f µs of CPU a record, its JVM's start and end included)",
                            exporterSettingsCpu.get(0), exporterSettingsCpu.get(1)), "");

            // 4. drain the backlog journaled in step 1
            step("drain the " + INGEST_RECORDS + " records journaled with sync none");
            try (none) {
                none.set("spring.kafka.bootstrap-servers", bootstrap);
                startUps.add(seconds(none.start()) + String.format(Locale.ROOT, " (%,d records waiting)", INGEST_RECORDS));
                long start = System.nanoTime();
                DoubleSupplier exporterCpu = Benchmarks.cpuFromNow(none.pid());
                DoubleSupplier brokerCpu = Benchmarks.cpuFromNow(broker.pid());
                double backlog = none.metric("decisionlog_backlog_records");
                await("backlog drained", () -> none.metric("decisionlog_backlog_records") == 0);
                double took = (System.nanoTime() - start) / 1e9;
                double exporterUsed = exporterCpu.getAsDouble();
                double brokerUsed = brokerCpu.getAsDouble();
                drain = INGEST_RECORDS / took;
                row(String.format(Locale.ROOT, "Drain a backlog of %,d records (from ready to `decisionlog_backlog_records` 0)",
                        INGEST_RECORDS), String.format(Locale.ROOT, "%.1f s (%,.0f records/s; %,.0f waiting at the first "
                                + "scrape); cores busy meanwhile: exporter %.2f (%.1f µs of CPU a record), broker %.2f",
                                took, drain, backlog, exporterUsed / took, exporterUsed * 1e6 / INGEST_RECORDS,
                                brokerUsed / took), "");
                none.stop();
            }
            row("**Ratio** to the better `ProducerPerformance` run: end to end (drain)", String.format(Locale.ROOT,
                    "**%.2f** (%.2f) to Kafka's defaults, **%.2f** (%.2f) to the exporter's settings",
                    endToEnd / bestDefaults, drain / bestDefaults, endToEnd / bestExporterSettings,
                    drain / bestExporterSettings), "end to end ≥ 0.6, drain ≥ 1.0 to the exporter's settings");
        }
        row("Start-up, process start to readiness UP", String.join("; ", startUps), "< 2 s");
        return report(began, loadBefore);
    }

    /** Writes {@code records} from {@link #CONNECTIONS} connections as fast as they go; records/s appended. */
    private double ingest(ExporterJar exporter, long records) throws Exception {
        double before = exporter.metric("decisionlog_journal_appended_total");
        List<StreamingProducer> producers = producers(exporter, records / CONNECTIONS, 0);
        long start = System.nanoTime();
        try {
            // no scrapes while the producers write: each one costs the exporter CPU that ingest would have had
            for (StreamingProducer p : producers) {
                if (!p.await(TIMEOUT)) {
                    throw new IllegalStateException("producer " + p.id() + " did not finish within " + TIMEOUT);
                }
            }
            await("records appended", () -> exporter.metric("decisionlog_journal_appended_total") - before >= records,
                    10);
            return records / ((System.nanoTime() - start) / 1e9);
        } finally {
            close(producers);
        }
    }

    /**
     * Offers {@code rate} records/s for {@link #WARM_UP} plus {@link #MEASURED}; adds the latencies of the measured
     * part to the table and returns the highest memory seen, sampled every second.
     */
    private ExporterJar.Memory latency(ExporterJar exporter, LatencyProbe probe, int rate, String when)
            throws Exception {
        List<StreamingProducer> producers = producers(exporter, Long.MAX_VALUE, rate / CONNECTIONS);
        try {
            Benchmarks.sleep(WARM_UP.toMillis());
            Map<String, Double> before = exporter.scrape();
            long start = System.nanoTime();
            probe.record();
            ExporterJar.Memory highest = exporter.memory(before);
            while (System.nanoTime() - start < MEASURED.toNanos()) {
                Benchmarks.sleep(1000);
                highest = highest.max(exporter.memory(null)); // RSS only: no scrape while latency is measured
            }
            LatencyProbe.Percentiles p = probe.stop();
            Map<String, Double> after = exporter.scrape();
            highest = highest.max(exporter.memory(after));
            double published = ExporterJar.sum(after, "decisionlog_records_published_total")
                    - ExporterJar.sum(before, "decisionlog_records_published_total");
            double seconds = (System.nanoTime() - start) / 1e9;
            row(String.format(Locale.ROOT, "Latency at %,d records/s offered%s: p50 / p99 / p99.9", rate, when),
                    String.format(Locale.ROOT, "%s / %s / %s ms (consumer, %,d records); p50 / p99 %s / %s ms by the exporter's "
                            + "histogram; %,.0f records/s published%s", ms(p.p50()), ms(p.p99()), ms(p.p999()), p.count(),
                            ms(histogramQuantile(before, after, 0.5)), ms(histogramQuantile(before, after, 0.99)),
                            published / seconds, producerSplit(after)),
                    when.contains("exactly-once") ? "" : rate == 10_000 ? "p99 < 10 ms" : "p99 no worse than at 10,000/s");
            return highest;
        } finally {
            close(producers);
        }
    }

    /**
     * The producers at full speed; records/s that Kafka acknowledged after {@link #WARM_UP}, counted where the journal
     * takes Kafka's acknowledgement (with exactly-once: once the transaction is committed).
     */
    private double endToEnd(ExporterJar exporter, String mode) throws Exception {
        List<StreamingProducer> producers = producers(exporter, Long.MAX_VALUE, 0);
        try {
            Benchmarks.sleep(WARM_UP.toMillis());
            double acknowledged = exporter.metric("decisionlog_journal_acknowledged_total");
            double appended = exporter.metric("decisionlog_journal_appended_total");
            DoubleSupplier exporterCpu = Benchmarks.cpuFromNow(exporter.pid());
            DoubleSupplier brokerCpu = Benchmarks.cpuFromNow(broker.pid());
            DoubleSupplier loadCpu = Benchmarks.cpuFromNow(ProcessHandle.current().pid());
            long start = System.nanoTime();
            Benchmarks.sleep(MEASURED.toMillis());
            double seconds = (System.nanoTime() - start) / 1e9;
            double exporterUsed = exporterCpu.getAsDouble();
            double brokerUsed = brokerCpu.getAsDouble();
            double loadUsed = loadCpu.getAsDouble();
            double acknowledgedNow = exporter.metric("decisionlog_journal_acknowledged_total") - acknowledged;
            double perSecond = acknowledgedNow / seconds;
            double ingested = (exporter.metric("decisionlog_journal_appended_total") - appended) / seconds;
            // where the cores went: each process's CPU time over the measured part, in cores busy
            row("End to end" + mode + ", socket → Kafka acknowledgement, " + CONNECTIONS + " connections at full speed",
                    rate(perSecond) + String.format(Locale.ROOT, " (ingest meanwhile %,.0f records/s); cores busy "
                            + "meanwhile (of %d): exporter %.2f (%.1f µs of CPU a record), broker %.2f, load "
                            + "generator and latency probe %.2f", ingested, Runtime.getRuntime().availableProcessors(),
                            exporterUsed / seconds, exporterUsed * 1e6 / acknowledgedNow,
                            brokerUsed / seconds, loadUsed / seconds),
                    mode.isEmpty() ? "≥ 180,000 records/s and ≥ 0.6 × ProducerPerformance (exporter's settings)" : "");
            return perSecond;
        } finally {
            close(producers);
        }
    }

    /** {@link #BURST_RECORDS} from the connections at full speed; records/s from the first write to Kafka's acknowledgement of the last. */
    private double burst(ExporterJar exporter) throws Exception {
        double before = exporter.metric("decisionlog_journal_acknowledged_total");
        long start = System.nanoTime();
        List<StreamingProducer> producers = producers(exporter, BURST_RECORDS / CONNECTIONS, 0);
        try {
            await("burst acknowledged", () -> exporter.metric("decisionlog_journal_acknowledged_total") - before
                    >= BURST_RECORDS, 50);
            return BURST_RECORDS / ((System.nanoTime() - start) / 1e9);
        } finally {
            close(producers);
        }
    }

    private List<StreamingProducer> producers(ExporterJar exporter, long recordsEach, int ratePerConnection) {
        List<StreamingProducer> producers = new ArrayList<>();
        for (int p = 0; p < CONNECTIONS; p++) {
            String[] mine = lines[p];
            LongFunction<String> line = seq -> mine[(int) (seq % mine.length)];
            producers.add(new StreamingProducer(p, exporter.socket(), false, recordsEach, 0, line)
                    .rate(ratePerConnection).start());
        }
        return producers;
    }

    private static void close(List<StreamingProducer> producers) throws InterruptedException {
        for (StreamingProducer p : producers) {
            p.close();
        }
    }

    /**
     * A quantile of {@code decisionlog_publish_latency_seconds} over the interval between two scrapes, interpolated
     * linearly inside its bucket; in milliseconds.
     */
    static double histogramQuantile(Map<String, Double> before, Map<String, Double> after, double q) {
        TreeMap<Double, Double> cumulative = new TreeMap<>();
        for (var e : after.entrySet()) {
            Matcher le = LE.matcher(e.getKey());
            if (e.getKey().startsWith("decisionlog_publish_latency_seconds_bucket{") && le.find()) {
                double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                cumulative.merge(bound, e.getValue() - before.getOrDefault(e.getKey(), 0.0), Double::sum);
            }
        }
        double total = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
        double lower = 0;
        double countBelow = 0;
        for (var e : cumulative.entrySet()) {
            if (e.getValue() >= q * total && total > 0) {
                if (e.getKey().isInfinite()) {
                    return lower * 1000;
                }
                double inBucket = e.getValue() - countBelow;
                return 1000 * (lower + (e.getKey() - lower) * (q * total - countBelow) / inBucket);
            }
            lower = e.getKey();
            countBelow = e.getValue();
        }
        return Double.NaN;
    }

    private String report(Instant began, String loadBefore) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Measured %s on %d cores, JDK %s, %s; load average (1, 5, 15 min) %s "
                        + "before, %s after; %.1f minutes.%n%n", began.toString().substring(0, 16).replace('T', ' '),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), System.getProperty("os.name"),
                loadBefore, Benchmarks.loadAverage(), Duration.between(began, Instant.now()).toSeconds() / 60.0));
        sb.append(String.format(Locale.ROOT, "Records: Gatekeeper audit violations with `details`, %.0f bytes each; "
                + "%d connections; MiB/s counts record bytes. Exporter JVM: `JDK_JAVA_OPTIONS=\"%s\"`.%n%n",
                recordBytes, CONNECTIONS, ExporterJar.dockerfile().jvmOptions() + " " + ExporterJar.POD_MEMORY_LIMIT));
        sb.append("| measurement | result | target |\n|---|---|---|\n");
        for (String[] r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return sb.toString();
    }

    private void row(String what, String result, String target) {
        rows.add(new String[] {what, result, target});
        System.out.println("  " + what + ": " + result);
    }

    private String rate(double recordsPerSecond) {
        return String.format(Locale.ROOT, "%,.0f records/s, %.1f MiB/s", recordsPerSecond,
                recordsPerSecond * recordBytes / (1 << 20));
    }

    private static String perSecond(List<Double> runs) {
        return String.join(", ", runs.stream().map(r -> String.format(Locale.ROOT, "%,.0f/s", r)).toList());
    }

    private static String memory(ExporterJar.Memory m) {
        return String.format(Locale.ROOT, "RSS %.0f MiB (anonymous %.0f, file %.0f); heap used %.0f MiB",
                m.rss(), m.rssAnon(), m.rssFile(), m.heapUsed());
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toMillis() / 1000.0);
    }

    /**
     * Where a record waits once the exporter has sent it, by the Kafka client's own metrics: in the producer's batch
     * (linger, full in-flight requests) and for the broker's answer. Empty where the producer's metrics are not
     * exported (the exactly-once producer).
     */
    private static String producerSplit(Map<String, Double> scrape) {
        double queue = largest(scrape, "kafka_producer_record_queue_time_avg");
        if (Double.isNaN(queue)) {
            return "";
        }
        return String.format(Locale.ROOT, "; producer queue time avg %s ms (max %s), request latency avg %s ms (max %s)",
                ms(queue), ms(largest(scrape, "kafka_producer_record_queue_time_max")),
                ms(largest(scrape, "kafka_producer_request_latency_avg")),
                ms(largest(scrape, "kafka_producer_request_latency_max")));
    }

    /** The largest value of a series of that name (the Kafka client's gauges: one per producer), or NaN. */
    private static double largest(Map<String, Double> series, String name) {
        return series.entrySet().stream().filter(e -> e.getKey().startsWith(name + "{"))
                .mapToDouble(Map.Entry::getValue).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
    }

    private static String ms(double millis) {
        return Double.isNaN(millis) ? "n/a" : String.format(Locale.ROOT, millis < 10 ? "%.1f" : "%.0f", millis);
    }

    private static void step(String what) {
        System.out.println("[benchmark] " + Instant.now().toString().substring(11, 19) + " " + what
                + " (load average " + Benchmarks.loadAverage() + ")");
    }

    private static void await(String what, Check done) throws Exception {
        await(what, done, 100);
    }

    private static void await(String what, Check done, long pollMillis) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!done.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not within " + TIMEOUT);
            }
            Thread.sleep(pollMillis);
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
