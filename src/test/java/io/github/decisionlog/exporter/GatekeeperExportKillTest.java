package io.github.decisionlog.exporter;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.decisionlog.exporter.support.GatekeeperWriter;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The exporter as a process of its own, killed with SIGKILL while it is in the middle of a Gatekeeper export file,
 * then started again on the same journal and export directory.
 */
class GatekeeperExportKillTest {

    private static final String TOPIC = "gatekeeper-export-kill";
    private static final String MAIN_CLASS = "io.github.decisionlog.exporter.ExporterApplication";
    private static final Pattern RECORDS_READ =
            Pattern.compile("(?m)^decisionlog_gatekeeper_records_read_total\\{source=\"audit\"} ([0-9.E]+)");

    private static EmbeddedKafkaKraftBroker broker;

    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, 3);
        broker.afterPropertiesSet();
        TopicReader.createTopic(broker.getBrokersAsString(), TOPIC, 3);
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void aFileHalfReadWhenTheExporterIsKilledArrivesWholeAfterRestartWithDuplicatesSharingTheirId()
            throws Exception {
        Path exportPath = dir.resolve("violations/topics");
        GatekeeperWriter audit = new GatekeeperWriter(exportPath, "audit-channel");
        int violations = 40_000;
        GatekeeperWriter.AuditRun run = audit.startRun(Instant.parse("2026-11-27T03:00:00Z"));
        for (int v = 0; v < violations; v++) {
            run.violation("constraint-" + (v % 5), v);
        }
        run.completed();
        run.close();
        int lines = violations + 2;

        int firstPort = freePort();
        Process first = startExporter(exportPath, firstPort, dir.resolve("first.log"));
        awaitReady(first, firstPort, dir.resolve("first.log"));
        Path log = run.rename();
        double readBeforeKill = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (readBeforeKill < 2_000 && System.nanoTime() < deadline) {
            readBeforeKill = recordsRead(firstPort);
        }
        first.destroyForcibly().waitFor();
        System.out.printf("killed (SIGKILL) after %.0f of %d lines were read%n", readBeforeKill, lines);
        assertThat(readBeforeKill).as("lines read before the kill").isGreaterThanOrEqualTo(2_000).isLessThan(lines);
        assertThat(log).as("the half-read file is still there").exists();

        int secondPort = freePort();
        long restart = System.nanoTime();
        Process second = startExporter(exportPath, secondPort, dir.resolve("second.log"));
        awaitReady(second, secondPort, dir.resolve("second.log"));
        long ready = System.nanoTime();
        while (Files.exists(log) && System.nanoTime() - ready < Duration.ofSeconds(60).toNanos()) {
            Thread.sleep(10);
        }
        System.out.printf("restarted exporter ready in %.1f s; the file was read again and deleted %.1f s later%n",
                (ready - restart) / 1e9, (System.nanoTime() - ready) / 1e9);
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(broker.getBrokersAsString(), TOPIC,
                lines, Duration.ofSeconds(90));

        Map<String, byte[]> valueById = new HashMap<>();
        Map<String, String> idByValue = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String id = TopicReader.header(r, "record_id");
            byte[] previous = valueById.putIfAbsent(id, r.value());
            if (previous != null) {
                assertThat(r.value()).as("the value of duplicate %s", id).isEqualTo(previous);
            }
            String value = new String(r.value(), java.nio.charset.StandardCharsets.UTF_8);
            String previousId = idByValue.putIfAbsent(value, id);
            if (previousId != null) {
                assertThat(id).as("the id of a record that arrived twice").isEqualTo(previousId);
            }
        }
        System.out.printf("after restart: %d records in Kafka for %d lines, %d duplicates (same record id)%n",
                records.size(), lines, records.size() - valueById.size());
        assertThat(valueById).as("distinct record ids").hasSize(lines);
        assertThat(idByValue).as("distinct records").hasSize(lines);
        assertThat(log).doesNotExist();
        second.destroy();
        second.waitFor();
    }

    private Process startExporter(Path exportPath, int managementPort, Path output) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(chronicleFlags());
        // a short-lived JVM: the C1 compiler alone starts it faster on a small machine
        command.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", testClassPath(), MAIN_CLASS,
                "--exporter.gatekeeper.enabled=true",
                "--exporter.gatekeeper.export-path=" + exportPath,
                "--exporter.socket.enabled=false",
                "--exporter.journal.dir=" + dir.resolve("journal"),
                "--exporter.publish.topic=" + TOPIC,
                "--exporter.publish.retry-initial-backoff=50ms",
                "--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                "--management.server.port=" + managementPort,
                "--spring.main.banner-mode=off"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .start();
        processes.add(process);
        return process;
    }

    /** The flags this JVM got from the build for Chronicle Queue, which the exporter's JVM needs as well. */
    private static List<String> chronicleFlags() {
        List<String> flags = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Dchronicle"))
                .toList();
        assertThat(flags).as("Chronicle's JVM flags (pom.xml chronicle.jvm.flags)").isNotEmpty();
        return flags;
    }

    private static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    private void awaitReady(Process process, int port, Path output) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("the exporter exited with " + process.exitValue() + ":\n" + Files.readString(output));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        fail("the exporter did not become ready:\n" + Files.readString(output));
    }

    private double recordsRead(int port) throws InterruptedException {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = RECORDS_READ.matcher(body);
            return m.find() ? Double.parseDouble(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
