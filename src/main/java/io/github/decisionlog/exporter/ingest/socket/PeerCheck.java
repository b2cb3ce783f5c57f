package io.github.decisionlog.exporter.ingest.socket;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.newsclub.net.unix.AFUNIXSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may connect: with an allowed-uid list, a connection is kept only if the kernel's peer credentials
 * ({@code SO_PEERCRED}) name one of its uids. Every refusal is counted; each refused uid is logged once.
 */
final class PeerCheck {

    private static final Logger log = LoggerFactory.getLogger(PeerCheck.class);
    private static final String METRIC = "decisionlog.connections.refused";

    private final String source;
    private final Set<Long> allowed;
    private final Set<Long> logged = ConcurrentHashMap.newKeySet();
    private final Counter refusedUid;
    private final Counter refusedCapacity;

    PeerCheck(String source, List<Long> allowedUids, MeterRegistry registry) {
        this.source = source;
        this.allowed = Set.copyOf(allowedUids);
        this.refusedUid = Counter.builder(METRIC).tag("source", source).tag("reason", "uid")
                .description("Connections refused: a uid not allowed, or too many connections").register(registry);
        this.refusedCapacity = Counter.builder(METRIC).tag("source", source).tag("reason", "max_connections")
                .description("Connections refused: a uid not allowed, or too many connections").register(registry);
    }

    /** True when every peer may connect. */
    boolean isOpen() {
        return allowed.isEmpty();
    }

    /** Whether the peer of this connection may send. */
    boolean allows(AFUNIXSocket socket) {
        if (allowed.isEmpty()) {
            return true;
        }
        long uid;
        try {
            uid = socket.getPeerCredentials().getUid();
        } catch (IOException e) {
            uid = -1; // no credentials: not one of the allowed uids
        }
        if (allowed.contains(uid)) {
            return true;
        }
        refusedUid.increment();
        if (logged.add(uid)) {
            log.warn("Refused a connection on the {} source from uid {}: not in exporter.{}.allowed-uids {} (logged "
                    + "once per uid; decisionlog_connections_refused_total counts every one)", source, uid, source,
                    allowed);
        }
        return false;
    }

    void refusedForCapacity() {
        refusedCapacity.increment();
    }
}
