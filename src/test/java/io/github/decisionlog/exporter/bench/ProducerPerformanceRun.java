package io.github.decisionlog.exporter.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's own {@code org.apache.kafka.tools.ProducerPerformance} (kafka-tools, the class behind
 * {@code kafka-producer-perf-test.sh}) in a JVM of its own, with the heap its script gives it, sending records taken
 * from a payload file. Returns the records/s and MB/s of its summary line.
 */
final class ProducerPerformanceRun {

    private static final Pattern SUMMARY = Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\)");

    private ProducerPerformanceRun() {
    }

    static Throughput run(Path dir, String name, String bootstrapServers, String topic, long records, Path payload,
            Map<String, String> producerProps) {
        Path log = dir.resolve("producer-performance-" + name + ".log");
        List<String> command = new ArrayList<>(List.of(Benchmarks.java(), "-Xmx512m",
                "-Dlogback.configurationFile=" + Benchmarks.quietLogging(dir),
                "org.apache.kafka.tools.ProducerPerformance", "--topic", topic, "--num-records", String.valueOf(records),
                "--throughput", "-1", "--payload-file", payload.toString(), "--producer-props",
                "bootstrap.servers=" + bootstrapServers));
        producerProps.forEach((k, v) -> command.add(k + "=" + v));
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
            Process p = Benchmarks.track(pb.start());
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("ProducerPerformance did not finish within 180 s; see " + log);
            }
            Matcher m = SUMMARY.matcher(Files.readString(log));
            Throughput last = null;
            while (m.find()) {
                last = new Throughput(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)));
            }
            if (p.exitValue() != 0 || last == null) {
                throw new IllegalStateException("ProducerPerformance failed; see " + log);
            }
            return last;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Records per second and MB (2^20 bytes, as ProducerPerformance counts them) per second. */
    record Throughput(double recordsPerSecond, double mbPerSecond) {
    }
}
