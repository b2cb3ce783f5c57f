package io.github.decisionlog.exporter.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.faults.ChildProcesses;
import io.github.decisionlog.exporter.support.Dockerfile;
import io.github.decisionlog.exporter.support.ExporterImage;

/**
 * The built exporter jar in a process of its own, started the way the image starts it: extracted, with the class data
 * sharing archive, the Dockerfile's {@code ENTRYPOINT} and {@code JDK_JAVA_OPTIONS}, and only the settings
 * that place it (socket, journal, topic, bootstrap servers, management port) plus what a benchmark step varies.
 */
final class ExporterJar implements AutoCloseable {

    /**
     * Stands in for the container memory limit of the Helm chart (512Mi), which the JVM would read from its cgroup:
     * without it the Dockerfile's {@code MaxRAMPercentage} would size the heap from the whole machine's memory.
     */
    static final String POD_MEMORY_LIMIT = "-XX:MaxRAM=512m";

    /** Environment variable with JVM options added to the exporter's, to profile it for example. */
    static final String EXTRA_JVM_OPTIONS = "BENCHMARK_EXPORTER_JVM_OPTIONS";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static List<String> image; // the image's entrypoint, made by the first start

    private final Path dir;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final String jvmOptions;
    private Process process;
    private int managementPort;

    ExporterJar(Path dir, String bootstrapServers, String topic, Map<String, String> extra) {
        this.dir = dir;
        settings.put("exporter.socket.path", dir.resolve("decisions.sock").toString());
        settings.put("exporter.journal.dir", dir.resolve("journal").toString());
        settings.put("exporter.publish.topic", topic);
        settings.put("spring.kafka.bootstrap-servers", bootstrapServers);
        settings.putAll(extra);
        this.jvmOptions = (dockerfile().jvmOptions() + " " + POD_MEMORY_LIMIT + " "
                + System.getenv().getOrDefault(EXTRA_JVM_OPTIONS, "")).strip();
    }

    /** The exporter's process id while it runs. */
    long pid() {
        return process.pid();
    }

    /** Starts the exporter and returns the time from process start until readiness answers UP. */
    Duration start() {
        managementPort = Benchmarks.freePort();
        List<String> command = new ArrayList<>(image(jvmOptions));
        settings.forEach((k, v) -> command.add("--" + k + "=" + v));
        command.add("--management.server.port=" + managementPort);
        try {
            Files.createDirectories(dir);
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("exporter.log").toFile()));
            pb.environment().put("JDK_JAVA_OPTIONS", jvmOptions);
            pb.environment().put("MALLOC_ARENA_MAX", dockerfile().env("MALLOC_ARENA_MAX"));
            long started = System.nanoTime();
            process = Benchmarks.track(pb.start());
            awaitReady(Duration.ofSeconds(60));
            return Duration.ofNanos(System.nanoTime() - started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the exporter", e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the exporter exited while starting; see " + dir.resolve("exporter.log"));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/actuator/health/readiness"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("UP")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            Benchmarks.sleep(20);
        }
        throw new IllegalStateException("the exporter was not ready within " + timeout);
    }

    /** Every series of {@code /actuator/prometheus}, {@code name{labels}} to value. */
    Map<String, Double> scrape() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/actuator/prometheus"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Double> series = new LinkedHashMap<>();
            for (String line : r.body().split("\n")) {
                int space = line.lastIndexOf(' ');
                if (line.startsWith("#") || space < 0) {
                    continue;
                }
                try {
                    series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                } catch (NumberFormatException notASample) {
                    // skip
                }
            }
            return series;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sum of the series of metric {@code name} whose labels contain every {@code label="value"} given. */
    static double sum(Map<String, Double> series, String name, String... labels) {
        double sum = 0;
        for (var e : series.entrySet()) {
            String key = e.getKey();
            if (!key.equals(name) && !key.startsWith(name + "{")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= key.contains(label);
            }
            sum += all ? e.getValue() : 0;
        }
        return sum;
    }

    double metric(String name, String... labels) {
        return sum(scrape(), name, labels);
    }

    /**
     * Resident memory from {@code /proc/<pid>/status} and the heap in use from a scrape; the scrape is optional
     * (NaN heap) so that sampling memory often does not load the exporter with scrapes.
     */
    Memory memory(Map<String, Double> scrape) {
        try {
            String status = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "status"));
            double heap = scrape == null ? Double.NaN : sum(scrape, "jvm_memory_used_bytes", "area=\"heap\"") / (1 << 20);
            return new Memory(kib(status, "VmRSS"), kib(status, "RssAnon"), kib(status, "RssFile"), heap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double kib(String status, String field) {
        Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+) kB").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    }

    /** SIGTERM, then SIGKILL if it has not exited within 30 s. */
    void stop() {
        if (process == null) {
            return;
        }
        ChildProcesses.stop(process);
        process = null;
    }

    /** Points the next {@link #start()} at other settings (a broker that listens now, for example). */
    void set(String name, String value) {
        settings.put(name, value);
    }

    Path socket() {
        return Path.of(settings.get("exporter.socket.path"));
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /**
     * The image's entrypoint on the exporter extracted and trained for class data sharing as the Dockerfile does it,
     * made once for the whole benchmark.
     */
    private static synchronized List<String> image(String jvmOptions) {
        if (image == null) {
            image = ExporterImage.prepare(jar(), Benchmarks.basedir().resolve("target/benchmark/image"),
                    Benchmarks.java(), jvmOptions, dockerfile().entrypoint());
        }
        return image;
    }

    /** The Dockerfile, whose entrypoint, JVM options and environment the benchmark starts the exporter with. */
    static Dockerfile dockerfile() {
        return Dockerfile.read(Benchmarks.basedir().resolve("Dockerfile"));
    }

    /** The Spring Boot executable jar that {@code package} built. */
    static Path jar() {
        try (Stream<Path> files = Files.list(Benchmarks.basedir().resolve("target"))) {
            return files.filter(f -> {
                String name = f.getFileName().toString();
                return name.startsWith("decision-log-exporter-") && name.endsWith(".jar")
                        && !name.endsWith("-sources.jar") && !name.endsWith("-plain.jar");
            }).findFirst().orElseThrow(() -> new IllegalStateException("no target/decision-log-exporter-*.jar: "
                    + "run the benchmark with ./mvnw -Pbenchmark verify"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Memory of the exporter process, in MiB. */
    record Memory(double rss, double rssAnon, double rssFile, double heapUsed) {

        Memory max(Memory o) {
            return new Memory(Math.max(rss, o.rss), Math.max(rssAnon, o.rssAnon), Math.max(rssFile, o.rssFile),
                    Double.isNaN(heapUsed) ? o.heapUsed : Double.isNaN(o.heapUsed) ? heapUsed : Math.max(heapUsed, o.heapUsed));
        }
    }
}
