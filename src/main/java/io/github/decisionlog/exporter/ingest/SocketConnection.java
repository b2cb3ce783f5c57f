package io.github.decisionlog.exporter.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;

import org.newsclub.net.unix.AFUNIXSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads one producer connection line by line into the journal until the producer closes it or the source stops. */
final class SocketConnection implements Runnable {

    /** How long a stopping source keeps reading a connection that still has bytes buffered. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(SocketConnection.class);
    private static final int READ_TIMEOUT_MILLIS = 200;

    private final AFUNIXSocket socket;
    private final LineFramer framer;
    private volatile long drainDeadline; // 0 while running; set when the source stops

    SocketConnection(AFUNIXSocket socket, Intake intake, int maxRecordBytes) {
        this.socket = socket;
        this.framer = new LineFramer(maxRecordBytes, new LineFramer.LineHandler() {
            @Override
            public void onLine(byte[] buf, int off, int len) {
                intake.accept(SocketSource.SOURCE, buf, off, len, null, null);
            }

            @Override
            public void onTooLong() {
                intake.reject(SocketSource.SOURCE, RejectReason.TOO_LARGE, "longer than " + maxRecordBytes + " bytes");
            }
        });
    }

    @Override
    public void run() {
        byte[] chunk = new byte[64 * 1024];
        try (socket; InputStream in = socket.getInputStream()) {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            while (true) {
                int n;
                try {
                    n = in.read(chunk);
                } catch (SocketTimeoutException idle) {
                    if (drainDeadline != 0) {
                        break; // stopping, and nothing more is buffered
                    }
                    continue;
                }
                if (n < 0) {
                    framer.endOfStream();
                    break;
                }
                framer.feed(chunk, 0, n);
                if (drainDeadline != 0 && System.nanoTime() - drainDeadline > 0) {
                    log.warn("Stopped reading a producer that kept sending during shutdown");
                    break;
                }
            }
        } catch (IOException e) {
            log.debug("Connection ended: {}", e.toString());
        } catch (RuntimeException e) {
            log.error("Connection closed after an unexpected error", e);
        }
    }

    /** Asks the connection to read what is already buffered and then close. */
    void drainAndClose() {
        drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    }
}
