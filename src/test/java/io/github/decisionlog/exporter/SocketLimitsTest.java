package io.github.decisionlog.exporter;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one producer can do to the socket source and every other producer: nest JSON without end, or connect and send
 * nothing. Real unix sockets and a real journal; no broker is needed, records stay in the journal.
 */
class SocketLimitsTest {

    @TempDir
    Path dir;

    @Test
    void aNestingDepthBombIsRejectedAsTooDeepAndTheConnectionGoesOn() throws Exception {
        String bomb = "{\"input\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        try (ExporterRun exporter = ExporterRun.start(dir, "localhost:1", "unused",
                Map.of("exporter.socket.acknowledge", "true"));
                AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
            OutputStream out = socket.getOutputStream();
            out.write((DecisionRecords.violation(1, 1, 1) + "\n" + bomb + "\n" + DecisionRecords.violation(1, 1, 2)
                    + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> replies = readUntil(socket, "ack 3");

            assertThat(replies).containsSubsequence("rejected 2 too_deep", "ack 3");
            assertThat(exporter.metric("decisionlog.records.rejected", "source", "socket", "reason", "too_deep"))
                    .isEqualTo(1);
            assertThat(exporter.metric("decisionlog.records.appended", "source", "socket")).isEqualTo(2);
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeoutAndCounted() throws Exception {
        try (ExporterRun exporter = ExporterRun.start(dir, "localhost:1", "unused",
                Map.of("exporter.socket.idle-timeout", "1s", "exporter.socket.max-connections", "2"))) {
            List<AFUNIXSocket> idle = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                idle.add(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket())));
            }
            long started = System.nanoTime();
            for (AFUNIXSocket socket : idle) {
                socket.setSoTimeout(10_000);
                assertThat(socket.getInputStream().read()).as("closed by the exporter").isEqualTo(-1);
                socket.close();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(exporter.metric("decisionlog.connections.closed", "source", "socket", "reason", "idle"))
                    .isEqualTo(2);

            // the slots are free again: a producer that sends is served
            try (AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
                socket.getOutputStream().write((DecisionRecords.violation(1, 1, 1) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                socket.getOutputStream().flush();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (exporter.metric("decisionlog.records.appended", "source", "socket") < 1
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            assertThat(exporter.metric("decisionlog.records.appended", "source", "socket")).isEqualTo(1);
        }
    }

    private static List<String> readUntil(AFUNIXSocket socket, String last) throws Exception {
        socket.setSoTimeout(30_000);
        InputStream in = socket.getInputStream();
        BufferedReader replies = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        List<String> got = new ArrayList<>();
        String line;
        while ((line = replies.readLine()) != null) {
            got.add(line);
            if (line.equals(last)) {
                break;
            }
        }
        return got;
    }
}
