package io.github.decisionlog.exporter.ingest.socket;

import io.github.decisionlog.exporter.ingest.Intake;
import io.github.decisionlog.exporter.ingest.check.RejectReason;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.JournalClosedException;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Listens on a unix datagram socket: one JSON object per datagram, read by one thread into the journal. There is no
 * acknowledgement; while the journal applies back-pressure the thread waits, the socket's queue fills and the kernel
 * makes senders wait. The kernel passes no sender credentials with a datagram here, so who may send is decided by the
 * socket file's mode and group alone.
 */
@Component
public class DatagramSource implements SmartLifecycle {

    public static final String SOURCE = "datagram";

    private static final Logger log = LoggerFactory.getLogger(DatagramSource.class);
    private static final int RECEIVE_TIMEOUT_MILLIS = 200;

    private final ExporterProperties.Datagram settings;
    private final Intake intake;

    private volatile AFUNIXDatagramSocket socket;
    private volatile boolean stopping;
    private Thread receiver;

    public DatagramSource(ExporterProperties properties, Intake intake) {
        this.settings = properties.datagram();
        this.intake = intake;
    }

    @Override
    public void start() {
        if (!settings.enabled()) {
            return;
        }
        Path path = settings.path().toAbsolutePath();
        SocketFiles.prepare(path, "exporter.datagram.path", true);
        try {
            AFUNIXDatagramSocket s = AFUNIXDatagramSocket.newInstance();
            s.bind(AFUNIXSocketAddress.of(path));
            s.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
            socket = s;
        } catch (IOException e) {
            throw new IllegalStateException("exporter.datagram.path: cannot listen on " + path + ": " + e, e);
        }
        SocketFiles.protect(path, settings.fileMode(), settings.fileGroup(), "exporter.datagram");
        stopping = false;
        receiver = new Thread(this::receiveLoop, "datagram-receive");
        receiver.start();
        log.info("Listening for JSON datagrams on {} (mode {}{})", path, settings.fileMode(),
                settings.fileGroup().isEmpty() ? "" : ", group " + settings.fileGroup());
    }

    private void receiveLoop() {
        int max = (int) settings.maxRecordSize().toBytes();
        byte[] buf = new byte[max + 1]; // one byte more: a datagram that fills it was cut by the kernel
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        AFUNIXDatagramSocket s = socket;
        while (true) {
            packet.setLength(buf.length);
            try {
                s.receive(packet);
            } catch (SocketTimeoutException idle) {
                if (stopping) {
                    break; // stopping, and nothing more is queued
                }
                continue;
            } catch (IOException e) {
                if (s.isClosed()) {
                    break;
                }
                log.warn("Receiving a datagram failed: {}", e.toString());
                continue;
            }
            try {
                int n = packet.getLength();
                if (n > max) {
                    intake.reject(SOURCE, RejectReason.TOO_LARGE, "longer than " + max + " bytes", buf, 0, max);
                } else if (n > 0) {
                    intake.offer(SOURCE, buf, 0, n, null, Intake.plain(null));
                }
            } catch (JournalClosedException e) {
                log.warn("Stopped receiving datagrams: the journal closed while it was full");
                break;
            } catch (RuntimeException e) {
                log.error("Skipped a datagram after an unexpected error", e);
            }
        }
    }

    /** Reads what is already queued on the socket, then closes it. */
    @Override
    public void stop() {
        AFUNIXDatagramSocket s = socket;
        if (s == null) {
            return;
        }
        stopping = true;
        try {
            receiver.join(SocketConnection.DRAIN_TIMEOUT.toMillis() + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        socket = null;
        s.close();
        try {
            Files.deleteIfExists(settings.path());
        } catch (IOException e) {
            log.debug("Could not remove socket file: {}", e.toString());
        }
        log.info("Datagram source stopped");
    }

    @Override
    public boolean isRunning() {
        return socket != null;
    }

    @Override
    public int getPhase() {
        return SocketSource.PHASE;
    }

    /** True once the socket is bound; always false when the source is disabled. */
    public boolean isListening() {
        AFUNIXDatagramSocket s = socket;
        return s != null && s.isBound() && !s.isClosed();
    }
}
