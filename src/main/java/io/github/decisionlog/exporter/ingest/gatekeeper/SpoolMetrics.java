package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** What the Gatekeeper export reader counts, under {@code decisionlog.gatekeeper.*}. */
final class SpoolMetrics {

    private final Map<ExportFile.Kind, Counter> filesRead = new EnumMap<>(ExportFile.Kind.class);
    private final Map<ExportFile.Kind, Counter> recordsRead = new EnumMap<>(ExportFile.Kind.class);
    private final Map<ExportFile.Kind, Timer> lockHeld = new EnumMap<>(ExportFile.Kind.class);
    private final Counter incompleteRuns;
    private final Counter filesVanished;
    private final Counter filesBusy;
    private final Counter filesUndeleted;
    private volatile long oldestUnreadMillis; // 0 when nothing waits

    SpoolMetrics(MeterRegistry registry) {
        for (ExportFile.Kind kind : ExportFile.Kind.values()) {
            filesRead.put(kind, Counter.builder("decisionlog.gatekeeper.files.read").tag("source", kind.source)
                    .description("Gatekeeper export files read into the journal and deleted").register(registry));
            recordsRead.put(kind, Counter.builder("decisionlog.gatekeeper.records.read").tag("source", kind.source)
                    .description("Lines read from Gatekeeper export files, rejected ones included")
                    .register(registry));
            lockHeld.put(kind, Timer.builder("decisionlog.gatekeeper.lock.held").tag("source", kind.source)
                    .description("How long the reader held a file's flock: an admission segment while its bytes "
                            + "were copied (Gatekeeper drops admission records while it cannot delete a locked "
                            + "segment), an unfinished audit run while it was checked for a live writer")
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1).dividedBy(100))
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry));
        }
        incompleteRuns = Counter.builder("decisionlog.gatekeeper.runs.incomplete")
                .description("Audit runs forwarded without their \"audit is started\" or \"audit is completed\" line: "
                        + ".log files without either, and .txt files a dead writer left unfinished")
                .register(registry);
        filesVanished = Counter.builder("decisionlog.gatekeeper.files.vanished")
                .description("Finished export files that were gone before they could be read: their records are lost")
                .register(registry);
        filesBusy = Counter.builder("decisionlog.gatekeeper.files.busy")
                .description("Times a file was skipped because another process held its flock: an admission "
                        + "segment Gatekeeper is deleting, or an audit run .txt still being written")
                .register(registry);
        filesUndeleted = Counter.builder("decisionlog.gatekeeper.files.undeleted")
                .description("Export files read into the journal that could not be deleted; they are not read again")
                .register(registry);
        Gauge.builder("decisionlog.gatekeeper.oldest.unread.age", this, SpoolMetrics::oldestUnreadAgeSeconds)
                .description("Age of the oldest finished export file not read yet; 0 when there is none. "
                        + "Gatekeeper deletes unread audit files after a few audit runs")
                .baseUnit("seconds")
                .register(registry);
    }

    void fileRead(ExportFile.Kind kind) {
        filesRead.get(kind).increment();
    }

    void recordRead(ExportFile.Kind kind) {
        recordsRead.get(kind).increment();
    }

    void lockHeld(ExportFile.Kind kind, long nanos) {
        lockHeld.get(kind).record(nanos, TimeUnit.NANOSECONDS);
    }

    void incompleteRun() {
        incompleteRuns.increment();
    }

    void fileVanished() {
        filesVanished.increment();
    }

    void fileBusy() {
        filesBusy.increment();
    }

    void fileUndeleted() {
        filesUndeleted.increment();
    }

    /**
     * The files still waiting to be read, from {@code from} on. Unfinished audit runs are left out: one that looks
     * left behind may still be its writer's (a long, quiet audit run), and is no backlog of the reader's.
     */
    void waiting(List<ExportFile> files, int from) {
        long oldest = 0;
        for (int i = from; i < files.size(); i++) {
            if (files.get(i).orphan()) {
                continue;
            }
            long modified = files.get(i).modifiedMillis();
            if (oldest == 0 || modified < oldest) {
                oldest = modified;
            }
        }
        oldestUnreadMillis = oldest;
    }

    double oldestUnreadAgeSeconds() {
        long oldest = oldestUnreadMillis;
        return oldest == 0 ? 0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
    }
}
