package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.support.DecisionRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When accepting fails, the socket source waits before it tries again instead of spinning and logging every failure:
 * the exporter runs with few file descriptors (RLIMIT_NOFILE), producers take all of them, and more wait in the
 * listen backlog, so that every accept fails with EMFILE until some close.
 */
class AcceptFailureIT extends FaultTest {

    private static final int FILE_LIMIT = 400;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void acceptFailuresBackOffAndTheSourceRecoversOnceDescriptorsAreFree() throws Exception {
        ExporterProcess exporter = ExporterProcess.create(dir.resolve("exporter"), "127.0.0.1:1", "accept",
                Map.of("exporter.socket.max-connections", "1000"))
                .launcher(List.of("prlimit", "--nofile=" + FILE_LIMIT + ":" + FILE_LIMIT)).start();
        List<AFUNIXSocket> producers = new ArrayList<>();
        try {
            long open = openDescriptors(exporter.pid());
            int flood = (int) (FILE_LIMIT - open) + 40; // 40 more than the exporter has descriptors left for
            for (int i = 0; i < flood; i++) {
                producers.add(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket())));
            }
            Thread.sleep(3000); // accepts fail for these seconds
            int failureLines = count(exporter.log(), "Accepting a connection failed");
            for (AFUNIXSocket p : producers) {
                p.close();
            }
            producers.clear();
            Thread.sleep(2000); // the connections end, their descriptors are free again

            assertThat(exporter.isRunning()).isTrue();
            double failures = exporter.scrape().value("decisionlog_socket_accept_failures_total");
            assertThat(failureLines).as("log lines about failed accepts in 3 s").isBetween(1, 3);
            assertThat(failures).as("failed accepts in about 3 s, with back-off").isBetween(1.0, 40.0);
            try (AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
                socket.getOutputStream().write((DecisionRecords.violation(1, 1, 1) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            double appended = 0;
            while (appended < 1 && System.nanoTime() < deadline) {
                appended = exporter.scrape().value("decisionlog_records_appended_total", "source", "socket");
                Thread.sleep(100);
            }
            assertThat(appended).as("a producer is served again").isEqualTo(1);
        } finally {
            for (AFUNIXSocket p : producers) {
                p.close();
            }
            exporter.close();
        }
    }

    private static long openDescriptors(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
