package io.github.decisionlog.exporter.ingest;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Reads Gatekeeper's disk export: every finished {@code .log} file under {@code <export-path>/<channel>/} is read
 * into the journal, the journal is synced to disk, and only then is the file deleted. Admission segments are read
 * under a native {@code flock}, which Gatekeeper checks before it deletes one. One thread reads every channel.
 * Started after the journal and the publisher, stopped before them.
 */
@Component
public class GatekeeperSpoolSource implements SmartLifecycle {

    public static final int PHASE = SocketSource.PHASE;

    /** How long a stopping source keeps reading the file it is in; the rest is read again on the next start. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(GatekeeperSpoolSource.class);

    private final ExporterProperties.Gatekeeper settings;
    private final Journal journal;
    private final SpoolMetrics metrics;
    private final ExportFileReader reader;
    private final RateLimitedLog problemLog = new RateLimitedLog(log, Duration.ofSeconds(10));
    /** Files read and journaled that could not be deleted, by path, with the stamp of the file that was read. */
    private final Map<Path, String> readButKept = new ConcurrentHashMap<>();

    private volatile boolean running;
    private volatile boolean stopping;
    private volatile long stopDeadline;
    private volatile Thread thread;
    private volatile DirectoryWakeup wakeup;

    public GatekeeperSpoolSource(ExporterProperties properties, Intake intake, Journal journal,
            MeterRegistry registry) {
        this.settings = properties.gatekeeper();
        this.journal = journal;
        if (settings.enabled()) {
            JournalPlacement.requireOutside(properties.journal().dir(), settings.exportPath());
        }
        this.metrics = new SpoolMetrics(registry);
        this.reader = new ExportFileReader(intake, metrics, (int) settings.maxRecordSize().toBytes(),
                settings.forwardControlLines());
    }

    @Override
    public void start() {
        if (!settings.enabled()) {
            log.info("Gatekeeper export source disabled (exporter.gatekeeper.enabled=false)");
            return;
        }
        wakeup = new DirectoryWakeup();
        running = true;
        Thread t = new Thread(this::run, "gatekeeper-export");
        thread = t;
        t.start();
        log.info("Reading Gatekeeper's export from {} channels {}, listing every {}", settings.exportPath(),
                settings.channels(), settings.pollInterval());
    }

    private void run() {
        while (running) {
            boolean readSome = false;
            try {
                for (String channel : settings.channels()) {
                    wakeup.watch(settings.exportPath().resolve(channel));
                }
                List<ExportFile> files = pendingFiles();
                for (int i = 0; i < files.size() && running; i++) {
                    metrics.waiting(files, i);
                    readSome |= take(files.get(i));
                }
                metrics.waiting(files, files.size());
            } catch (RuntimeException e) {
                log.error("Reading Gatekeeper's export failed; trying again in {}", settings.pollInterval(), e);
                readSome = false;
            }
            if (running && !readSome) {
                wakeup.await(settings.pollInterval());
            }
        }
    }

    /** The finished files of every channel, in the order they are read; files read but kept are left out. */
    List<ExportFile> pendingFiles() {
        List<ExportFile> files = new ArrayList<>();
        Set<Path> listed = new HashSet<>();
        for (String channel : settings.channels()) {
            try {
                for (ExportFile file : ExportFile.list(settings.exportPath(), channel)) {
                    listed.add(file.path());
                    if (!file.stamp().equals(readButKept.get(file.path()))) {
                        files.add(file);
                    }
                }
            } catch (IOException e) {
                problemLog.warn("list" + channel, "Cannot list Gatekeeper's channel directory {}: {}",
                        settings.exportPath().resolve(channel), e.toString());
            }
        }
        readButKept.keySet().retainAll(listed);
        return files;
    }

    /**
     * Reads one file into the journal, syncs the journal, and deletes the file.
     *
     * @return whether the file was read; false when it vanished, was locked by another process, or could not be read
     */
    boolean take(ExportFile file) {
        NativeFlock lock = null;
        try {
            if (file.kind() == ExportFile.Kind.ADMISSION) {
                lock = NativeFlock.tryExclusive(file.path());
                if (lock == null) {
                    metrics.fileBusy();
                    log.debug("{} is locked by another process; trying again later", file.displayName());
                    return false;
                }
            }
            ExportFileReader.Result result = reader.read(file, this::keepReading);
            journal.sync();
            if (!result.finished()) {
                log.info("Stopped in the middle of {}; it is read again from the start on the next start",
                        file.displayName());
                return true;
            }
            if (file.kind() == ExportFile.Kind.AUDIT && !result.complete()) {
                metrics.incompleteRun();
                log.warn("Audit run file {} lacks its \"audit is started\" or \"audit is completed\" line; "
                        + "its {} lines were forwarded", file.displayName(), result.lines());
            }
            delete(file);
            metrics.fileRead(file.kind());
            log.debug("Read {} lines from {}", result.lines(), file.displayName());
            return true;
        } catch (NoSuchFileException gone) {
            metrics.fileVanished();
            problemLog.warn("vanished", "{} was deleted before it could be read: its records are lost. Gatekeeper's "
                    + "maxAuditResults (5 at most) gives the reader more time", file.displayName());
            return false;
        } catch (IOException e) {
            problemLog.warn("read" + file.channel(), "Cannot read {}: {}; trying again later", file.displayName(),
                    e.toString());
            return false;
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }

    private void delete(ExportFile file) {
        try {
            Files.deleteIfExists(file.path());
        } catch (IOException e) {
            readButKept.put(file.path(), file.stamp());
            metrics.fileUndeleted();
            String hint = e instanceof AccessDeniedException ? " (the exporter needs Gatekeeper's group, 999)" : "";
            problemLog.warn("delete", "Cannot delete {} after reading it: {}{}; it is not read again", file.path(),
                    e.toString(), hint);
        }
    }

    private boolean keepReading() {
        return !stopping || System.nanoTime() - stopDeadline < 0;
    }

    @Override
    public void stop() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        stopDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        stopping = true;
        running = false;
        wakeup.close();
        LockSupport.unpark(t);
        try {
            t.join(DRAIN_TIMEOUT.toMillis() + settings.pollInterval().toMillis() + 5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
        log.info("Gatekeeper export source stopped");
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
