package io.github.decisionlog.exporter.ingest.socket;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** What the socket source counts about its connections beyond their records. */
final class SocketMeters {

    private final Counter closedIdle;
    private final Counter lineMemoryWaits;
    private final Counter acceptFailures;

    SocketMeters(String source, MeterRegistry registry, LineMemory memory) {
        closedIdle = Counter.builder("decisionlog.connections.closed").tag("source", source).tag("reason", "idle")
                .description("Connections closed by the exporter; idle: nothing sent for exporter.socket.idle-timeout")
                .register(registry);
        lineMemoryWaits = Counter.builder("decisionlog.socket.line.memory.waits")
                .description("Times a connection waited for room for a long line (exporter.socket.line-memory)")
                .register(registry);
        acceptFailures = Counter.builder("decisionlog.socket.accept.failures")
                .description("Failed accepts of a connection on the unix socket (each followed by a back-off)")
                .register(registry);
        Gauge.builder("decisionlog.socket.line.memory.free", memory, LineMemory::availableBytes).baseUnit("bytes")
                .description("Line memory not taken by long lines now (exporter.socket.line-memory)")
                .register(registry);
    }

    void closedIdle() {
        closedIdle.increment();
    }

    void lineMemoryWait() {
        lineMemoryWaits.increment();
    }

    void acceptFailed() {
        acceptFailures.increment();
    }
}
