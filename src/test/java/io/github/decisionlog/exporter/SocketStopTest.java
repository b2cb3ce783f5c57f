package io.github.decisionlog.exporter;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an acknowledging producer that is still writing sees when the exporter stops: every line the exporter
 * journaled from it is covered by an {@code ack} the producer can read, so it sends none of them again. Real unix
 * socket, real journal; no broker is needed, records stay in the journal.
 */
class SocketStopTest {

    @TempDir
    Path dir;

    /**
     * The producer reads its acks a little late (every 200 ms, as a busy client may). Were the connection closed while
     * it writes, junixsocket would close the producer's socket on the failed write and the acks still unread would
     * be lost with it: the producer would send journaled lines again.
     */
    @Test
    void aProducerStillWritingReadsTheAckOfEveryLineJournaledBeforeItsConnectionEnds() throws Exception {
        ExporterRun exporter = ExporterRun.start(dir, "localhost:1", "unused",
                Map.of("exporter.socket.acknowledge", "true", "exporter.publish.drain-timeout", "1s"));
        AtomicLong lastAck = new AtomicLong();
        AtomicReference<String> readEnd = new AtomicReference<>();
        AtomicReference<Throwable> writeEnd = new AtomicReference<>();
        Counter appended;
        try (AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
                    for (long seq = 0; readEnd.get() == null; seq++) {
                        out.write((DecisionRecords.violation(1, (int) (seq % 50), seq) + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    socket.close(); // the exporter ended the connection: the producer would reconnect and re-send
                } catch (Throwable e) {
                    writeEnd.set(e);
                }
            }, "test-writer");
            Thread reader = new Thread(() -> readAcks(socket, 200, lastAck, readEnd), "test-reader");
            writer.start();
            reader.start();

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (lastAck.get() < 1000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(lastAck.get()).as("lines acknowledged while running").isGreaterThanOrEqualTo(1000);
            appended = exporter.bean(MeterRegistry.class).get("decisionlog.records.appended")
                    .tag("source", "socket").counter();
            exporter.close(); // stops the socket source while the producer is writing as fast as it can

            reader.join(10_000);
            writer.join(10_000);
        } finally {
            exporter.close();
        }

        assertThat(readEnd.get()).as("how the producer's reading ended").isEqualTo("end of stream");
        assertThat(lastAck.get()).as("last ack the producer read")
                .isEqualTo((long) appended.count())
                .isGreaterThan(1000);
    }

    /**
     * The producer is silent when the stop begins (it pauses 400 ms, longer than the exporter waits for more bytes), so
     * the exporter ends the connection on that silence; the producer writes again, and only then reads its acks.
     * Were the connection closed at once, that write would fail and junixsocket would close the socket with the acks
     * unread.
     */
    @Test
    void aProducerSilentWhenTheExporterStopsReadsTheAckOfEveryLineJournaledAfterWritingAgain() throws Exception {
        ExporterRun exporter = ExporterRun.start(dir, "localhost:1", "unused",
                Map.of("exporter.socket.acknowledge", "true", "exporter.publish.drain-timeout", "1s"));
        AtomicLong lastAck = new AtomicLong();
        AtomicReference<String> readEnd = new AtomicReference<>();
        CountDownLatch stopping = new CountDownLatch(1);
        CountDownLatch wroteAgain = new CountDownLatch(1);
        Counter appended;
        try (AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    long seq = 0;
                    for (boolean paused = false; readEnd.get() == null; seq++) {
                        if (!paused && stopping.getCount() == 0) {
                            paused = true;
                            Thread.sleep(400);
                            out.write((DecisionRecords.violation(1, 0, seq++) + "\n").getBytes(StandardCharsets.UTF_8));
                            wroteAgain.countDown();
                        }
                        out.write((DecisionRecords.violation(1, (int) (seq % 50), seq) + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    socket.close();
                } catch (Throwable e) {
                    // the write failed: the socket may be closed now, acks unread included
                } finally {
                    wroteAgain.countDown();
                }
            }, "test-writer");
            Thread reader = new Thread(() -> {
                try {
                    wroteAgain.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                readAcks(socket, 0, lastAck, readEnd);
            }, "test-reader");
            writer.start();
            reader.start();

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (exporter.metric("decisionlog.records.appended", "source", "socket") < 1000
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            appended = exporter.bean(MeterRegistry.class).get("decisionlog.records.appended")
                    .tag("source", "socket").counter();
            stopping.countDown();
            exporter.close();

            reader.join(10_000);
            writer.join(10_000);
        } finally {
            exporter.close();
        }

        assertThat(readEnd.get()).as("how the producer's reading ended").isEqualTo("end of stream");
        assertThat(lastAck.get()).as("last ack the producer read")
                .isEqualTo((long) appended.count())
                .isGreaterThanOrEqualTo(1000);
    }

    /** Reads {@code ack <n>} lines, pausing after each read, until the end of the stream or an error. */
    private static void readAcks(AFUNIXSocket socket, long pauseMillis, AtomicLong lastAck,
            AtomicReference<String> end) {
        byte[] buf = new byte[8192];
        StringBuilder pending = new StringBuilder();
        try {
            InputStream in = socket.getInputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                pending.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
                int newline;
                while ((newline = pending.indexOf("\n")) >= 0) {
                    String reply = pending.substring(0, newline);
                    pending.delete(0, newline + 1);
                    assertThat(reply).startsWith("ack ");
                    lastAck.set(Long.parseLong(reply.substring(4)));
                }
                Thread.sleep(pauseMillis);
            }
            end.set("end of stream");
        } catch (IOException | InterruptedException | RuntimeException e) {
            end.set(e.toString());
        }
    }
}
