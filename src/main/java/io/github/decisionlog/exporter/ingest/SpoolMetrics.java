package io.github.decisionlog.exporter.ingest;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** What the Gatekeeper export reader counts, under {@code decisionlog.gatekeeper.*}. */
final class SpoolMetrics {

    private final Map<ExportFile.Kind, Counter> filesRead = new EnumMap<>(ExportFile.Kind.class);
    private final Map<ExportFile.Kind, Counter> recordsRead = new EnumMap<>(ExportFile.Kind.class);
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
        }
        incompleteRuns = Counter.builder("decisionlog.gatekeeper.runs.incomplete")
                .description("Audit run files without their \"audit is started\" or \"audit is completed\" line; "
                        + "their records were forwarded")
                .register(registry);
        filesVanished = Counter.builder("decisionlog.gatekeeper.files.vanished")
                .description("Finished export files that were gone before they could be read: their records are lost")
                .register(registry);
        filesBusy = Counter.builder("decisionlog.gatekeeper.files.busy")
                .description("Times an admission segment was skipped because another process held its flock")
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

    /** The files still waiting to be read, from {@code from} on. */
    void waiting(List<ExportFile> files, int from) {
        long oldest = 0;
        for (int i = from; i < files.size(); i++) {
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
