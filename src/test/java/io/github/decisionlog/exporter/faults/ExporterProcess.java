package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The exporter as it ships: the built jar started with {@code java -jar} in a JVM of its own, with its socket and
 * journal under a test directory. It can be killed with SIGKILL or stopped with SIGTERM and started again on the same
 * journal. Output goes to {@code exporter.log} in that directory.
 */
public final class ExporterProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path dir;
    private final Map<String, String> settings;
    private final Path logFile;
    private Process process;
    private int managementPort;
    private int starts;
    private List<String> jvmOptions = List.of("-Xmx512m", "-XX:+UseSerialGC");
    private List<String> launcher = List.of();

    private ExporterProcess(Path dir, Map<String, String> settings) {
        this.dir = dir;
        this.settings = settings;
        this.logFile = dir.resolve("exporter.log");
    }

    /**
     * The settings the fault tests start from: socket and journal under {@code dir}, quick retries.
     *
     * @param extra settings (without the leading {@code --}) that override those chosen here
     */
    public static ExporterProcess create(Path dir, String bootstrapServers, String topic, Map<String, String> extra) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("exporter.socket.path", dir.resolve("decisions.sock").toString());
        s.put("exporter.journal.dir", dir.resolve("journal").toString());
        s.put("exporter.publish.topic", topic);
        s.put("exporter.publish.retry-initial-backoff", "100ms");
        s.put("exporter.publish.retry-max-backoff", "2s");
        s.put("spring.kafka.bootstrap-servers", bootstrapServers);
        s.put("spring.main.banner-mode", "off");
        s.putAll(extra);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ExporterProcess(dir, s);
    }

    /** Starts the exporter and waits until it reports ready; returns {@code this}. */
    public static ExporterProcess start(Path dir, String bootstrapServers, String topic, Map<String, String> extra) {
        ExporterProcess exporter = create(dir, bootstrapServers, topic, extra);
        exporter.start();
        return exporter;
    }

    /** Replaces the heap and GC options ({@code -Xmx512m -XX:+UseSerialGC}) for the next start; returns {@code this}. */
    public synchronized ExporterProcess jvmOptions(List<String> options) {
        this.jvmOptions = List.copyOf(options);
        return this;
    }

    /** Runs the JVM through {@code launcher}, such as {@code prlimit --nofile=300:300}, from the next start on. */
    public synchronized ExporterProcess launcher(List<String> launcher) {
        this.launcher = List.copyOf(launcher);
        return this;
    }

    /** Starts (or starts again, on the same journal and socket path) and waits until ready. */
    public synchronized ExporterProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("exporter already running");
        }
        managementPort = FreePorts.next();
        List<String> command = new ArrayList<>(launcher);
        command.add(JavaProcesses.javaExecutable());
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dchronicle.analytics.disable=true",
                "-Djava.io.tmpdir=" + dir.resolve("tmp"))); // created by the exporter, as in the chart's pods
        command.addAll(JavaProcesses.newerJdkFlags());
        command.addAll(List.of("-jar", jar().toString()));
        settings.forEach((k, v) -> command.add("--" + k + "=" + v));
        command.add("--management.server.port=" + managementPort);
        try {
            Files.writeString(logFile, "==== start " + (++starts) + " at " + Instant.now() + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = ChildProcesses.track(new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the exporter", e);
        }
        awaitReady();
        return this;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("exporter exited with " + process.exitValue() + " while starting; "
                        + tail());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/actuator/health/readiness"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("UP")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(100);
        }
        throw new IllegalStateException("exporter not ready within " + START_TIMEOUT + "; " + tail());
    }

    /** kill -9 (SIGKILL on Linux): no shutdown hook runs, nothing is flushed. Returns once the process is gone. */
    public synchronized void kill9() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
    }

    /** Sends SIGTERM and waits at most {@code timeout} for the process to exit; returns its exit code. */
    public synchronized int sigterm(Duration timeout) {
        sendSigterm();
        return awaitExit(timeout);
    }

    /** Sends SIGTERM and returns at once. */
    public synchronized void sendSigterm() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("exporter not running");
        }
        process.destroy(); // SIGTERM on Linux
    }

    /** Waits at most {@code timeout} for the process to exit after a SIGTERM; returns its exit code. */
    public synchronized int awaitExit(Duration timeout) {
        if (!waitFor(timeout)) {
            throw new IllegalStateException("exporter still running " + timeout + " after SIGTERM");
        }
        return process.exitValue();
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The exit code of the last run, once it has ended. */
    public synchronized int exitCode() {
        return process.exitValue();
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process.pid();
    }

    /** Reads {@code /actuator/prometheus}. */
    public Metrics scrape() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url("/actuator/prometheus"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("/actuator/prometheus answered " + r.statusCode());
            }
            return Metrics.parse(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GETs a management endpoint, such as {@code /actuator/health/readiness}. */
    public HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Path socket() {
        return Path.of(settings.get("exporter.socket.path"));
    }

    public Path journalDir() {
        return Path.of(settings.get("exporter.journal.dir"));
    }

    public Path logFile() {
        return logFile;
    }

    /** The exporter's output so far. */
    public String log() {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private String tail() {
        String log = log();
        return "last output:\n" + log.substring(Math.max(0, log.length() - 4000));
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /**
     * Kills whatever still runs; a test that wants a graceful stop calls {@link #sigterm} first. The log gets a thread
     * dump first, to show what the exporter was doing when the test ended.
     */
    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            threadDump();
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(10));
        }
    }

    /** Asks the JVM for a thread dump (SIGQUIT), which it writes into the log. */
    public synchronized void threadDump() {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-QUIT", String.valueOf(process.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(500);
        } catch (IOException e) {
            // no dump then
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The jar that {@code package} built: the Spring Boot executable jar, not the sources or plain one. */
    static Path jar() {
        Path target = Path.of(System.getProperty("basedir", ".")).resolve("target");
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(f -> {
                String name = f.getFileName().toString();
                return name.startsWith("decision-log-exporter-") && name.endsWith(".jar")
                        && !name.endsWith("-sources.jar") && !name.endsWith("-plain.jar")
                        && !name.endsWith("-javadoc.jar");
            }).findFirst().orElseThrow(() -> new IllegalStateException(
                    "no target/decision-log-exporter-*.jar: run these tests with 'mvn verify', after 'package'"));
        } catch (IOException e) {
            throw new UncheckedIOException("no target directory: run these tests with 'mvn verify'", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One scrape of {@code /actuator/prometheus}: series ({@code name{labels}}) to value. */
    public record Metrics(Map<String, Double> series) {

        static Metrics parse(String text) {
            Map<String, Double> series = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int brace = line.indexOf('{');
                int space = brace < 0 ? line.indexOf(' ') : line.indexOf(' ', line.lastIndexOf('}'));
                if (space < 0) {
                    continue;
                }
                String value = line.substring(space + 1).trim().split(" ")[0];
                try {
                    series.put(line.substring(0, space), Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
            return new Metrics(series);
        }

        /**
         * The sum of every series of that metric whose labels include all of {@code labels} (name, value, ...);
         * 0 when there is none.
         */
        public double value(String name, String... labels) {
            double sum = 0;
            for (var e : series.entrySet()) {
                String key = e.getKey();
                String seriesName = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
                if (!seriesName.equals(name)) {
                    continue;
                }
                boolean all = true;
                for (int i = 0; i + 1 < labels.length; i += 2) {
                    all &= key.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
                }
                if (all) {
                    sum += e.getValue();
                }
            }
            return sum;
        }

        /** Whether a metric of that name is exported at all. */
        public boolean has(String name) {
            return series.keySet().stream().anyMatch(k -> k.equals(name) || k.startsWith(name + "{"));
        }
    }
}
