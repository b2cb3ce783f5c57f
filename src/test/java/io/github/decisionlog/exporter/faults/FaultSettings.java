package io.github.decisionlog.exporter.faults;

import java.util.LinkedHashMap;
import java.util.Map;

/** Exporter settings the fault tests run with. */
final class FaultSettings {

    /** Producers use acknowledged ingest: only what the exporter acknowledged counts as accepted. */
    static final boolean ACKNOWLEDGED = true;

    private FaultSettings() {
    }

    /** The settings every fault test starts the exporter with, plus {@code extra} ones (name, value, ...). */
    static Map<String, String> exporter(String... extra) {
        Map<String, String> s = new LinkedHashMap<>();
        if (ACKNOWLEDGED) {
            s.put("exporter.socket.acknowledge", "true");
        }
        for (int i = 0; i + 1 < extra.length; i += 2) {
            s.put(extra[i], extra[i + 1]);
        }
        return s;
    }
}
