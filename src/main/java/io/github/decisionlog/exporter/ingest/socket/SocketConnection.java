package io.github.decisionlog.exporter.ingest.socket;

import io.github.decisionlog.exporter.ingest.Intake;
import io.github.decisionlog.exporter.ingest.LineFramer;
import io.github.decisionlog.exporter.ingest.check.RejectReason;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.github.decisionlog.exporter.journal.JournalClosedException;
import org.newsclub.net.unix.AFUNIXSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one producer connection line by line into the journal until the producer closes it or the source stops.
 * In acknowledged mode it writes back, after each read, {@code rejected <line> <reason>} for every line it refused and
 * {@code ack <n>}: the first n lines of the connection are durably journaled or refused, so the producer may forget them.
 */
final class SocketConnection implements Runnable {

    /** How long a stopping source keeps reading a connection that still has bytes buffered. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);
    /**
     * How long a connection the exporter ends keeps reading (and discarding) after its last {@code ack}, so that the
     * producer reads that ack before its writes fail (see {@link #lingeringClose}).
     */
    static final Duration LINGER = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(SocketConnection.class);
    private static final int READ_TIMEOUT_MILLIS = 200;

    private final AFUNIXSocket socket;
    private final Intake intake;
    private final Intake.Labeler plain;
    private final LineFramer framer;
    private final boolean acknowledge;
    private final StringBuilder replies = new StringBuilder();
    private long lines;
    private long acknowledgedLines;
    private final LineMemory memory;
    private final SocketMeters meters;
    private final long idleTimeoutNanos;
    private volatile long drainDeadline; // 0 while running; set when the source stops

    SocketConnection(AFUNIXSocket socket, Intake intake, int maxRecordBytes, boolean acknowledge, LineMemory memory,
            SocketMeters meters, Duration idleTimeout) {
        this.socket = socket;
        this.intake = intake;
        this.plain = Intake.plain(null);
        this.acknowledge = acknowledge;
        this.memory = memory;
        this.meters = meters;
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.framer = new LineFramer(maxRecordBytes, new LineFramer.LineHandler() {
            @Override
            public void onLine(byte[] buf, int off, int len) {
                lines++;
                Intake.Outcome outcome = intake.offer(SocketSource.SOURCE, buf, off, len, null, plain);
                if (outcome.refused()) {
                    refused(outcome.reason()); // a filtered line is taken care of, not refused
                }
            }

            @Override
            public void onTooLong(byte[] head, int off, int len) {
                lines++;
                intake.reject(SocketSource.SOURCE, RejectReason.TOO_LARGE, "longer than " + maxRecordBytes + " bytes",
                        head, off, len);
                refused(RejectReason.TOO_LARGE);
            }
        }, new LineFramer.Room() {
            @Override
            public void take() {
                takeLineMemory();
            }

            @Override
            public void giveBack() {
                memory.giveBack();
            }
        });
    }

    /** Thrown when a stopping source gives up waiting for line memory. */
    private static final class GaveUpWaiting extends RuntimeException {
        GaveUpWaiting() {
            super("stopped while waiting for line memory", null, false, false);
        }
    }

    /** Waits for room for one long line; meanwhile nothing more is read from this producer. */
    private void takeLineMemory() {
        try {
            if (memory.take(0)) {
                return;
            }
            meters.lineMemoryWait();
            while (!memory.take(READ_TIMEOUT_MILLIS)) {
                if (drainDeadline != 0 && System.nanoTime() - drainDeadline > 0) {
                    throw new GaveUpWaiting();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GaveUpWaiting();
        }
    }

    private void refused(RejectReason reason) {
        if (acknowledge) {
            replies.append("rejected ").append(lines).append(' ').append(reason.tag()).append('\n');
        }
    }

    @Override
    public void run() {
        byte[] chunk = new byte[64 * 1024];
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            long lastRead = System.nanoTime();
            while (true) {
                int n;
                try {
                    n = in.read(chunk);
                } catch (SocketTimeoutException idle) {
                    if (drainDeadline != 0) {
                        break; // stopping, and nothing more is buffered
                    }
                    if (System.nanoTime() - lastRead > idleTimeoutNanos) {
                        meters.closedIdle();
                        log.debug("Closed a connection that sent nothing for {} (exporter.socket.idle-timeout)",
                                Duration.ofNanos(idleTimeoutNanos));
                        break;
                    }
                    continue;
                }
                lastRead = System.nanoTime();
                if (n < 0) {
                    framer.endOfStream();
                    acknowledge(out);
                    return; // the producer ended the connection
                }
                framer.feed(chunk, 0, n);
                acknowledge(out);
                if (drainDeadline != 0 && System.nanoTime() - drainDeadline > 0) {
                    log.warn("Stopped reading a producer that kept sending during shutdown");
                    break;
                }
            }
            // the exporter ends the connection (a stop, an idle producer), and the producer may write again any time
            lingeringClose(in, chunk);
        } catch (GaveUpWaiting e) {
            log.warn("Closed a connection at shutdown that was waiting for line memory (exporter.socket.line-memory); "
                    + "what the producer sent after its last acknowledged line was not accepted");
        } catch (IOException e) {
            log.debug("Connection ended: {}", e.toString());
        } catch (JournalClosedException e) {
            log.warn("Closed a connection at shutdown while the journal was full; what the producer sent after its "
                    + "last acknowledged line was not accepted");
        } catch (RuntimeException e) {
            log.error("Connection closed after an unexpected error", e);
        } finally {
            framer.release();
        }
    }

    /**
     * Ends a connection the exporter closes while its producer may still write: the exporter's side is shut down (the
     * producer reads its last {@code ack}, then the end of the stream), and what the producer writes meanwhile is read
     * and discarded, unacknowledged, until it closes or {@link #LINGER} has passed. Closed at once instead, the
     * producer's next write fails while that ack may still wait unread in its socket, and some clients (junixsocket
     * among them) then close the socket, so the producer sends again lines that were journaled: duplicates. What is
     * discarded was not acknowledged, so a producer sends it again.
     */
    private void lingeringClose(InputStream in, byte[] chunk) throws IOException {
        if (!acknowledge) {
            return; // a producer without acks cannot tell what was read anyway
        }
        socket.shutdownOutput();
        long until = System.nanoTime() + LINGER.toNanos();
        while (System.nanoTime() - until < 0) {
            try {
                if (in.read(chunk) < 0) {
                    return;
                }
            } catch (SocketTimeoutException stillOpen) {
                // the producer has not closed yet
            }
        }
    }

    /** Tells an acknowledging producer how many of its lines are taken care of. */
    private void acknowledge(OutputStream out) throws IOException {
        if (!acknowledge || lines == acknowledgedLines) {
            return;
        }
        intake.awaitDurable();
        replies.append("ack ").append(lines).append('\n');
        out.write(replies.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        replies.setLength(0);
        acknowledgedLines = lines;
    }

    /** Asks the connection to read what is already buffered and then close. */
    void drainAndClose() {
        drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    }
}
