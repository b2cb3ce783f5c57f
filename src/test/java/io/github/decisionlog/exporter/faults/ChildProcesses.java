package io.github.decisionlog.exporter.faults;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every process a fault test started, killed when the test JVM exits, so that a test JVM that is itself killed or
 * times out leaves no broker or exporter behind. Tests stop their processes themselves; this is the backstop.
 */
final class ChildProcesses {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "kill-fault-test-processes"));
    }

    private ChildProcesses() {
    }

    static Process track(Process process) {
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
        return process;
    }
}
