package io.github.decisionlog.exporter.ingest.gatekeeper;

import io.github.decisionlog.exporter.ingest.Intake;
import io.github.decisionlog.exporter.ingest.RateLimitedLog;
import io.github.decisionlog.exporter.ingest.socket.SocketSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import io.github.decisionlog.exporter.ExporterProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Reads Gatekeeper's disk export: every finished {@code .log} file under {@code <export-path>/<channel>/} is read
 * into the journal, the journal is synced to disk, and only then is the file deleted. Admission segments are copied
 * out under a native {@code flock}, which Gatekeeper checks before it deletes one; the lock is released before the
 * records are journaled, synced and the segment deleted, because while a reader holds it Gatekeeper drops the
 * admission records it was about to write. An audit run's {@code .txt} that its writer left behind (a newer run
 * exists, or it has not changed for orphan-after, and nobody holds its lock) is read as an incomplete run. A crash
 * between reading a file and deleting it reads it again on the next start: the records get the same ids, so
 * consumers see duplicates, never a gap. One thread reads every channel. Started after the journal and the
 * publisher, stopped before them.
 */
@Component
public class GatekeeperSpoolSource implements SmartLifecycle {

    public static final int PHASE = SocketSource.PHASE;

    /** How long a stopping source keeps reading the file it is in; the rest is read again on the next start. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    /**
     * An admission segment up to this size is copied into memory under its lock and journaled after the lock is
     * released. Gatekeeper's segments are at most 1 MiB.
     */
    static final int IN_MEMORY_LIMIT = 16 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(GatekeeperSpoolSource.class);

    private final ExporterProperties.Gatekeeper settings;
    private final Intake intake;
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
    /** Holds the admission segment being read, allocated on the first one; the reading thread only. */
    private byte[] buffer = new byte[0];

    public GatekeeperSpoolSource(ExporterProperties properties, Intake intake, MeterRegistry registry) {
        this.settings = properties.gatekeeper();
        this.intake = intake;
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
        NativeFlock.load(); // so that loading libc is not part of the first lock's hold
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
                for (ExportFile file : ExportFile.list(settings.exportPath(), channel,
                        System.currentTimeMillis(), settings.orphanAfter())) {
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
     * @return whether the file was read; false when it vanished, was locked by another process, changed, or could
     *         not be read
     */
    boolean take(ExportFile file) {
        ExportFileReader.Result result = read(file);
        if (result == null) {
            return false;
        }
        finish(file, result);
        return true;
    }

    /**
     * Reads one file into the journal, without syncing it.
     *
     * @return what was read; {@code null} when the file vanished, was locked by another process, changed, or could
     *         not be read
     */
    ExportFileReader.Result read(ExportFile file) {
        try {
            return switch (file.kind()) {
                case ADMISSION -> readSegment(file);
                case AUDIT -> file.orphan() ? readOrphan(file) : reader.read(file, this::keepReading);
            };
        } catch (NoSuchFileException gone) {
            metrics.fileVanished();
            problemLog.warn("vanished", "{} was deleted before it could be read: its records are lost. Gatekeeper's "
                    + "maxAuditResults (5 at most) gives the reader more time", file.displayName());
            return null;
        } catch (IOException e) {
            problemLog.warn("read" + file.channel(), "Cannot read {}: {}; trying again later", file.displayName(),
                    e.toString());
            return null;
        }
    }

    /**
     * Syncs the journal, then deletes the file that was read, without any lock: Gatekeeper's retention may have
     * deleted it meanwhile, which is fine, its records are journaled.
     */
    void finish(ExportFile file, ExportFileReader.Result result) {
        intake.forceToDisk();
        if (!result.finished()) {
            log.info("Stopped in the middle of {}; it is read again from the start on the next start",
                    file.displayName());
            return;
        }
        if (file.orphan()) {
            metrics.incompleteRun();
            log.warn("Audit run file {} was left unfinished by its writer (a newer run exists or it has not "
                    + "changed for {}); its {} lines were forwarded as an incomplete run", file.displayName(),
                    settings.orphanAfter(), result.lines());
        } else if (file.kind() == ExportFile.Kind.AUDIT && !result.complete()) {
            metrics.incompleteRun();
            log.warn("Audit run file {} lacks its \"audit is started\" or \"audit is completed\" line; "
                    + "its {} lines were forwarded", file.displayName(), result.lines());
        }
        delete(file);
        metrics.fileRead(file.kind());
        log.debug("Read {} lines from {}", result.lines(), file.displayName());
    }

    /**
     * Reads an admission segment. Gatekeeper's cleanup will not delete a segment whose flock a reader holds, and drops
     * the batch it was about to write instead, so the lock is held only while the segment's bytes are copied into
     * memory (segments are at most 1 MiB); the records are journaled after it is released. A larger file is read
     * under the lock, which is correct but slower for Gatekeeper.
     *
     * @return what was read, or {@code null} when another process holds the segment's lock
     */
    private ExportFileReader.Result readSegment(ExportFile file) throws IOException {
        try (FileChannel channel = FileChannel.open(file.path(), StandardOpenOption.READ)) {
            NativeFlock lock = NativeFlock.tryExclusive(file.path());
            if (lock == null) {
                busy(file);
                return null;
            }
            long start = System.nanoTime();
            int length;
            try {
                long size = channel.size();
                if (size > IN_MEMORY_LIMIT) {
                    return reader.read(file, Channels.newInputStream(channel), this::keepReading);
                }
                length = readFully(channel, (int) size);
            } finally {
                lock.close();
                metrics.lockHeld(file.kind(), System.nanoTime() - start);
            }
            return reader.read(file, buffer, length, this::keepReading);
        }
    }

    /**
     * Reads an audit run's {@code .txt} that is a candidate orphan (a newer run exists, or it has not changed for
     * orphan-after). Its writer holds its flock for as long as it writes, and in Gatekeeper 3.20 to 3.23 a reader's
     * lock on it would block that writer, so the lock is taken without waiting and released at once: it only proves
     * that no writer is left. A file that changed since it was listed is left for the next pass.
     *
     * @return what was read, or {@code null} when a writer holds its lock or it changed
     */
    private ExportFileReader.Result readOrphan(ExportFile file) throws IOException {
        NativeFlock lock = NativeFlock.tryExclusive(file.path());
        if (lock == null) {
            busy(file);
            return null;
        }
        long start = System.nanoTime();
        boolean unchanged;
        try {
            unchanged = file.stamp().equals(ExportFile.stampOf(file.path()));
        } finally {
            lock.close();
            metrics.lockHeld(file.kind(), System.nanoTime() - start);
        }
        if (!unchanged) {
            log.debug("{} changed since it was listed; looking at it again later", file.displayName());
            return null;
        }
        return reader.read(file, this::keepReading);
    }

    private void busy(ExportFile file) {
        metrics.fileBusy();
        log.debug("{} is locked by another process; trying again later", file.displayName());
    }

    /** Copies {@code size} bytes (or up to the end of the file, if it is shorter) into {@link #buffer}. */
    private int readFully(FileChannel channel, int size) throws IOException {
        if (buffer.length < size) {
            buffer = new byte[Math.max(size, Math.max(1024 * 1024, Math.min(2 * buffer.length, IN_MEMORY_LIMIT)))];
        }
        ByteBuffer into = ByteBuffer.wrap(buffer, 0, size);
        while (into.hasRemaining()) {
            if (channel.read(into) < 0) {
                break;
            }
        }
        return into.position();
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
