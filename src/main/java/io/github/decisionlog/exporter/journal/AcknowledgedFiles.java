package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the journal files of cycles wholly before the one that holds the acknowledged position, once they are
 * older than the retention. Cycle file names are dates written from the most significant field down, so name order is
 * cycle order.
 */
final class AcknowledgedFiles {

    private static final Logger log = LoggerFactory.getLogger(AcknowledgedFiles.class);

    private final SingleChronicleQueue queue;
    private final Path queueDir;
    private final Duration retention;
    private final DateTimeFormatter names;

    AcknowledgedFiles(SingleChronicleQueue queue, Path queueDir, Duration retention) {
        this.queue = queue;
        this.queueDir = queueDir;
        this.retention = retention;
        this.names = DateTimeFormatter.ofPattern(queue.rollCycle().format()).withZone(ZoneOffset.UTC);
    }

    /**
     * Deletes what may go; {@code acknowledgedIndex} is the last acknowledged record, or NO_RECORD. With
     * {@code allAcknowledged} (the caller holds the append lock and no record waits) the files of every cycle before
     * the current one go, the acknowledged record's own file included: nothing in them is needed any more, and the
     * next append starts a file of the current cycle.
     */
    void delete(long acknowledgedIndex, boolean allAcknowledged) {
        if (acknowledgedIndex == Journal.NO_RECORD) {
            return;
        }
        RollCycle rollCycle = queue.rollCycle();
        int keepFrom = allAcknowledged ? queue.cycle() : rollCycle.toCycle(acknowledgedIndex);
        // a cycle ends when the next begins; keep every cycle that ended less than the retention ago
        long retainedCycles = retention.toMillis() / rollCycle.lengthInMillis() + (retention.isZero() ? 0 : 1);
        keepFrom = (int) Math.min(keepFrom, queue.cycle() - retainedCycles);
        String firstKept = fileName(keepFrom);
        boolean deleted = false;
        try (var files = Files.list(queueDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith(SingleChronicleQueue.SUFFIX) && name.compareTo(firstKept) < 0) {
                    deleted |= Files.deleteIfExists(file);
                    log.debug("Deleted acknowledged journal file {}", file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete acknowledged journal files in " + queueDir + ": " + e, e);
        }
        if (deleted) {
            queue.refreshDirectoryListing();
        }
    }

    private String fileName(int cycle) {
        return names.format(Instant.ofEpochMilli(cycle * (long) queue.rollCycle().lengthInMillis() + queue.epoch()))
                + SingleChronicleQueue.SUFFIX;
    }
}
