package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.support.Dockerfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A local producer cannot exhaust the exporter's heap: the jar runs with the image's JVM options and the heap the
 * image gives it in a 512 MiB container (MaxRAMPercentage=30: about 154 MB), and 64 connections (every slot) send
 * maximum-size lines, each with a 1 MB {@code message} and a Secret to redact, and over-size lines, all at once.
 */
class IngestMemoryIT extends FaultTest {

    private static final int CONNECTIONS = 64;
    private static final int MAX_RECORD = 1024 * 1024; // exporter.socket.max-record-size's default, 1MB
    private static final int VALID_PER_CONNECTION = 4;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sixtyFourConnectionsOfMaximumSizeLinesDoNotExhaustTheImagesHeap() throws Exception {
        List<String> jvm = new ArrayList<>();
        for (String option : Dockerfile.read(Path.of("Dockerfile")).jvmOptions().split("\\s+")) {
            if (option.startsWith("-XX:MaxRAMPercentage") || option.startsWith("-XX:InitialRAMPercentage")
                    || option.startsWith("-Djava.io.tmpdir")) {
                continue; // the heap is given below; the temporary directory is the test's
            }
            jvm.add(option);
        }
        jvm.add("-Xmx154m"); // 30 % of a 512 MiB container
        ExporterProcess exporter = ExporterProcess.create(dir.resolve("exporter"), "127.0.0.1:1", "memory",
                Map.of("exporter.publish.retry-max-backoff", "30s")).jvmOptions(jvm).start();
        try {
            byte[][] lines = {record(0), record(1), oversize(), record(2), record(3)};
            ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
            List<Future<?>> sent = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                sent.add(pool.submit(() -> {
                    try (AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
                        OutputStream out = socket.getOutputStream();
                        for (byte[] line : lines) {
                            out.write(line);
                        }
                        out.flush();
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(100).toNanos();
            for (Future<?> f : sent) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            pool.shutdown();
            int expected = CONNECTIONS * VALID_PER_CONNECTION;
            double appended = 0;
            double tooLarge = 0;
            while (System.nanoTime() < deadline && exporter.isRunning()) {
                ExporterProcess.Metrics m = exporter.scrape();
                appended = m.value("decisionlog_records_appended_total", "source", "socket");
                tooLarge = m.value("decisionlog_records_rejected_total", "source", "socket", "reason", "too_large");
                if (appended >= expected && tooLarge >= CONNECTIONS) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(exporter.log()).doesNotContain("OutOfMemoryError");
            assertThat(exporter.isRunning()).as("the exporter is alive").isTrue();
            assertThat(appended).as("valid records journaled").isEqualTo(expected);
            assertThat(tooLarge).as("over-size lines rejected").isEqualTo(CONNECTIONS);
        } finally {
            exporter.close();
        }
    }

    /** A valid record of exactly the maximum size (newline excluded), mostly its message, with a Secret to redact. */
    private static byte[] record(int n) {
        String head = "{\"eventType\":\"violation_audited\",\"constraintKind\":\"K8sNoSecrets\",\"constraintName\":\"c\","
                + "\"resourceKind\":\"Secret\",\"resourceNamespace\":\"ns\",\"resourceName\":\"s" + n + "\","
                + "\"input\":{\"review\":{\"object\":{\"kind\":\"Secret\",\"data\":{\"token\":\"czNjcjN0\"}}}},"
                + "\"message\":\"";
        String tail = "\"}";
        int pad = MAX_RECORD - head.length() - tail.length();
        return (head + "m".repeat(pad) + tail + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** A line half as long again as the maximum. */
    private static byte[] oversize() {
        return ("{\"message\":\"" + "o".repeat(MAX_RECORD / 2 * 3) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }
}
