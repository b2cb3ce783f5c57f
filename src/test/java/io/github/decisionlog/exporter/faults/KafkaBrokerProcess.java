package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker (KRaft, broker and controller in one process) in a JVM of its own, so that a test can stop it
 * gracefully, kill it, and start it again on the same ports and log directory. Listens on 127.0.0.1 only; logs go
 * to {@code broker.log} in its directory.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final Path properties;
    private final Path logFile;
    private final int port;
    private final int controllerPort;
    private Process process;

    private KafkaBrokerProcess(Path dir, int port, int controllerPort) {
        this.dir = dir;
        this.properties = dir.resolve("server.properties");
        this.logFile = dir.resolve("broker.log");
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /**
     * Creates the broker's configuration and formats its log directory under {@code dir}, without starting it.
     *
     * @param extra broker settings added to (or overriding) the defaults chosen here
     */
    public static KafkaBrokerProcess create(Path dir, Map<String, String> extra) {
        try {
            Files.createDirectories(dir);
            KafkaBrokerProcess broker = new KafkaBrokerProcess(dir, FreePorts.next(), FreePorts.next());
            broker.writeConfig(extra);
            broker.format();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates, formats and starts a broker; returns once a client can list its topics. */
    public static KafkaBrokerProcess start(Path dir) {
        KafkaBrokerProcess broker = create(dir, Map.of());
        broker.start();
        return broker;
    }

    private void writeConfig(Map<String, String> extra) throws IOException {
        var lines = new java.util.LinkedHashMap<String, String>();
        lines.put("process.roles", "broker,controller");
        lines.put("node.id", "1");
        lines.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        lines.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        lines.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        lines.put("controller.listener.names", "CONTROLLER");
        lines.put("inter.broker.listener.name", "PLAINTEXT");
        lines.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        lines.put("log.dirs", dir.resolve("data").toString());
        lines.put("num.partitions", "3");
        lines.put("offsets.topic.replication.factor", "1");
        lines.put("offsets.topic.num.partitions", "1");
        lines.put("transaction.state.log.replication.factor", "1");
        lines.put("transaction.state.log.min.isr", "1");
        lines.put("transaction.state.log.num.partitions", "4"); // 50 by default: a minute to create on 2 cores
        lines.put("share.coordinator.state.topic.replication.factor", "1");
        lines.put("share.coordinator.state.topic.min.isr", "1");
        lines.put("group.initial.rebalance.delay.ms", "0");
        lines.put("auto.create.topics.enable", "false");
        lines.put("num.network.threads", "2");
        lines.put("num.io.threads", "2");
        lines.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        lines.putAll(extra);
        StringBuilder sb = new StringBuilder();
        lines.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Files.writeString(properties, sb.toString(), StandardCharsets.UTF_8);
    }

    private void format() throws IOException {
        List<String> command = javaCommand("kafka.tools.StorageTool");
        command.addAll(List.of("format", "-t", Uuid.randomUuid().toString(), "-c", properties.toString(),
                "--ignore-formatted"));
        Process p = ChildProcesses.track(processBuilder(command, dir.resolve("format.log")).start());
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("formatting the broker's log directory did not finish");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("formatting the broker's log directory failed: "
                    + Files.readString(dir.resolve("format.log")));
        }
    }

    /** The broker's process id while it runs. */
    public synchronized long pid() {
        return process.pid();
    }

    /** Starts the broker (again, on the same ports and data) and waits until a client can list topics. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("broker already running");
        }
        try {
            List<String> command = javaCommand("kafka.Kafka");
            command.add(properties.toString());
            process = ChildProcesses.track(processBuilder(command, logFile).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the broker", e);
        }
        awaitReady();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("broker exited with " + process.exitValue() + "; see " + logFile);
            }
            if (!listening()) {
                sleep(100);
                continue;
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000))) {
                admin.listTopics().names().get(3, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
                sleep(200);
            }
        }
        throw new IllegalStateException("broker not ready within " + START_TIMEOUT + "; see " + logFile, last);
    }

    private boolean listening() {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A graceful stop: SIGTERM, then waits for the process to end (killed after 30 s). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        ChildProcesses.stop(process);
        process = null;
    }

    /** kill -9: the broker gets no chance to flush or to shut down cleanly. */
    public synchronized void kill9() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public Path logFile() {
        return logFile;
    }

    @Override
    public void close() {
        stop();
    }

    /** The Kafka server runs from the test class path, which holds kafka_2.13 and its dependencies. */
    private List<String> javaCommand(String mainClass) throws IOException {
        Path logConfig = dir.resolve("logback-broker.xml");
        Files.writeString(logConfig, """
                <configuration>
                  <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="out"/></root>
                  <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
                  <logger name="kafka.server.BrokerServer" level="INFO"/>
                </configuration>
                """, StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>();
        command.add(JavaProcesses.javaExecutable());
        command.addAll(List.of("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                "-Djava.awt.headless=true", "-Dlogback.configurationFile=" + logConfig,
                "-Dlog4j2.disable.jmx=true"));
        command.add(mainClass);
        return command;
    }

    private ProcessBuilder processBuilder(List<String> command, Path log) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("CLASSPATH", JavaProcesses.testClassPath());
        return pb;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
