package io.github.decisionlog.exporter.ingest.socket;

import io.github.decisionlog.exporter.ingest.Intake;
import io.github.decisionlog.exporter.ingest.RateLimitedLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.decisionlog.exporter.ExporterProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Listens on a unix stream socket for NDJSON: one JSON object per line, any number of connections at once, each read
 * by a thread of its own. Started after the journal and the publisher, stopped before them.
 */
@Component
public class SocketSource implements SmartLifecycle {

    public static final String SOURCE = "socket";
    public static final int PHASE = 200;

    private static final Logger log = LoggerFactory.getLogger(SocketSource.class);

    private final ExporterProperties.Socket settings;
    private final Intake intake;
    private final Semaphore connectionSlots;
    private final Set<SocketConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionNumber = new AtomicInteger();
    private final PeerCheck peers;
    private final LineMemory lineMemory;
    private final SocketMeters meters;
    private final RateLimitedLog refusedLog = new RateLimitedLog(log, java.time.Duration.ofSeconds(10));

    private volatile AFUNIXServerSocket server;
    private Thread acceptor;

    public SocketSource(ExporterProperties properties, Intake intake, MeterRegistry registry) {
        this.settings = properties.socket();
        this.intake = intake;
        this.connectionSlots = new Semaphore(settings.maxConnections());
        intake.registerSource(SOURCE);
        this.peers = new PeerCheck(SOURCE, settings.allowedUids(), registry);
        this.lineMemory = new LineMemory(settings.lineMemory().toBytes(), (int) settings.maxRecordSize().toBytes());
        this.meters = new SocketMeters(SOURCE, registry, lineMemory);
        Gauge.builder("decisionlog.socket.connections", connections, Set::size)
                .description("Open producer connections on the unix socket")
                .register(registry);
    }

    @Override
    public void start() {
        if (!settings.enabled()) {
            log.info("Socket source disabled (exporter.socket.enabled=false)");
            return;
        }
        Path path = settings.path().toAbsolutePath();
        SocketFiles.prepare(path, "exporter.socket.path", false);
        try {
            server = AFUNIXServerSocket.newInstance();
            server.bind(AFUNIXSocketAddress.of(path), 128);
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.socket.path: cannot listen on " + path + ": " + e.getMessage(), e);
        }
        SocketFiles.protect(path, settings.fileMode(), settings.fileGroup(), "exporter.socket");
        acceptor = new Thread(this::acceptLoop, "socket-accept");
        acceptor.start();
        log.info("Listening for NDJSON decision records on {} (mode {}{}{})", path, settings.fileMode(),
                settings.fileGroup().isEmpty() ? "" : ", group " + settings.fileGroup(),
                peers.isOpen() ? "" : ", uids " + settings.allowedUids());
    }

    /** The first wait after a failed accept; it doubles with each failure in a row, up to {@link #MAX_BACKOFF_MILLIS}. */
    static final long FIRST_BACKOFF_MILLIS = 10;
    static final long MAX_BACKOFF_MILLIS = 1000;

    private void acceptLoop() {
        AFUNIXServerSocket s = server;
        long backoff = 0;
        while (s != null && !s.isClosed()) {
            AFUNIXSocket socket;
            try {
                socket = s.accept();
            } catch (IOException e) {
                if (s.isClosed()) {
                    break;
                }
                // such as EMFILE (no file descriptor left): retrying at once would only spin
                backoff = backoff == 0 ? FIRST_BACKOFF_MILLIS : Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                meters.acceptFailed();
                refusedLog.warn("accept", "Accepting a connection failed ({}); trying again in {} ms", e.toString(),
                        backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
                continue;
            }
            backoff = 0;
            if (!peers.allows(socket)) {
                closeQuietly(socket);
                continue;
            }
            if (!connectionSlots.tryAcquire()) {
                peers.refusedForCapacity();
                refusedLog.warn("max", "Refused a connection: {} connections are open (exporter.socket.max-connections)",
                        settings.maxConnections());
                closeQuietly(socket);
                continue;
            }
            SocketConnection connection = new SocketConnection(socket, intake, (int) settings.maxRecordSize().toBytes(),
                    settings.acknowledge(), lineMemory, meters, settings.idleTimeout());
            connections.add(connection);
            Thread t = new Thread(() -> {
                try {
                    connection.run();
                } finally {
                    connections.remove(connection);
                    connectionSlots.release();
                }
            }, "socket-conn-" + connectionNumber.incrementAndGet());
            t.start();
        }
    }

    /**
     * Stops accepting, then lets every connection read what its producer already sent into the socket, so that a
     * graceful stop does not drop bytes sitting in the kernel's buffer.
     */
    @Override
    public void stop() {
        AFUNIXServerSocket s = server;
        if (s == null) {
            return;
        }
        server = null;
        closeQuietly(s);
        try {
            acceptor.join(5000);
            connections.forEach(SocketConnection::drainAndClose);
            long deadline = System.nanoTime() + SocketConnection.DRAIN_TIMEOUT.toNanos()
                    + SocketConnection.LINGER.toNanos() + 1_000_000_000L;
            while (!connections.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(settings.path());
        } catch (IOException e) {
            log.debug("Could not remove socket file: {}", e.toString());
        }
        log.info("Socket source stopped");
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** True once the socket is bound and accepting. */
    public boolean isListening() {
        AFUNIXServerSocket s = server;
        return s != null && s.isBound() && !s.isClosed();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
