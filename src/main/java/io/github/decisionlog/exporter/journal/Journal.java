package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Journal.SyncPolicy;
import io.github.decisionlog.exporter.ExporterProperties.Journal.WhenFull;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The one place a record lives between "accepted" and "acknowledged by Kafka", and the journal package's one entry:
 * its {@link JournalStore} (the Chronicle Queue on local disk and the acknowledged position) and its
 * {@link JournalMaintenance} (sync timer, deletion of acknowledged files, disk budget), opened first and closed last.
 */
@Component
public class Journal implements SmartLifecycle {

    /** Opened first and closed last: sources and the publisher both need it. */
    public static final int PHASE = 0;

    /** What {@link #append} returns for a record dropped because the journal is full and the policy is drop. */
    public static final long DROPPED = -1;

    /** An index no record has. */
    public static final long NO_RECORD = Long.MIN_VALUE;

    /**
     * How the journal's syncs (fsync) fare, for health.
     *
     * @param failing the last sync failed (records since the last good sync may not survive a power loss)
     * @param failures syncs that failed since start
     * @param lastError the message of the last failure, or {@code null} when none failed
     * @param lastFailureAtMillis when the last failure happened, epoch milliseconds; 0 when none failed
     */
    public record SyncStatus(boolean failing, long failures, String lastError, long lastFailureAtMillis) {
    }

    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    private final ExporterProperties.Journal settings;
    private final Counter recoveries;
    private final Counter dropped;
    private final SyncFailures syncFailures;
    private final Object room = new Object();

    private volatile JournalStore store;
    private JournalMaintenance maintenance;
    private JournalLock lock;

    public Journal(ExporterProperties properties, MeterRegistry registry) {
        this.settings = properties.journal();
        this.recoveries = Counter.builder("decisionlog.journal.recoveries")
                .description("Times a damaged journal was moved aside at start-up").register(registry);
        this.dropped = Counter.builder("decisionlog.records.dropped").tag("reason", "journal_full")
                .description("Records dropped instead of journaled (only with exporter.journal.when-full=drop)")
                .register(registry);
        this.syncFailures = new SyncFailures(registry);
    }

    /** Checks the settings, takes the journal's lock, opens the store and starts its maintenance. */
    @Override
    public synchronized void start() {
        RollCycle rollCycle = rollCycle(settings.rollCycle());
        if (settings.sync() == SyncPolicy.BATCH && settings.syncInterval().toMillis() <= 0) {
            throw new IllegalArgumentException("exporter.journal.sync-interval must be at least 1ms with sync: batch");
        }
        if (settings.retention().isNegative()) {
            throw new IllegalArgumentException("exporter.journal.retention must not be negative");
        }
        Path dir = settings.dir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot use " + dir + ": " + e, e);
        }
        lock = JournalLock.acquire(dir, settings.lockTimeout());
        try {
            store = JournalStore.open(settings, rollCycle, syncFailures, recoveries);
        } catch (RuntimeException | Error e) {
            lock.close();
            throw e;
        }
        try {
            maintenance = new JournalMaintenance(store, settings, this::roomMade);
            maintenance.start();
        } catch (RuntimeException | Error e) {
            store.close();
            lock.close();
            throw e;
        }
        log.info("Journal {} opened at {}: {} records wait for Kafka, files take {} MiB (sync {}, cap {} MiB, "
                + "when full: {})", store.journalId(), dir, store.backlogAtStart(), bytesOnDisk() >> 20,
                settings.sync().name().toLowerCase(), settings.maxSize().toMegabytes(),
                settings.whenFull().name().toLowerCase());
    }

    /**
     * Appends one record and returns its index. Once this returns the record survives a crash of the process; see
     * {@link #awaitDurable()} for a crash of the node. When the journal is full this waits for room, or returns
     * {@link #DROPPED} if the policy is to drop. A record larger than an entry holds
     * ({@link ExporterProperties#LARGEST_RECORD}) is refused with an {@link IllegalArgumentException}; an append that
     * fails while writing leaves nothing in the journal and throws.
     */
    public long append(RecordMeta meta, byte[] buf, int off, int len) {
        JournalStore.checkFits(buf, off, len);
        while (true) {
            JournalStore s = openStore();
            long index = s.appendIfRoom(meta, buf, off, len);
            if (index != NO_RECORD) {
                return index;
            }
            if (!waitForRoom(len + JournalStore.ENTRY_METADATA)) {
                dropped.increment();
                return DROPPED;
            }
        }
    }

    private JournalStore openStore() {
        JournalStore s = store;
        if (s == null || !s.isOpen()) {
            throw new JournalClosedException();
        }
        return s;
    }

    /** Blocks while the journal has no room for an entry of {@code bytes}; false when the policy is to drop. */
    private boolean waitForRoom(long bytes) {
        if (settings.whenFull() == WhenFull.DROP) {
            return false;
        }
        synchronized (room) {
            for (JournalStore s; (s = store) != null && s.isOpen() && s.budget().isFull(bytes); ) {
                try {
                    room.wait(JournalMaintenance.HOUSEKEEPING_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for room in the journal", e);
                }
            }
        }
        return true;
    }

    private void roomMade() {
        synchronized (room) {
            room.notifyAll();
        }
    }

    /**
     * Returns once every record appended before the call is on disk, where the sync policy promises it: at once for
     * {@code none} (page cache only) and {@code always} (each append synced already); for {@code batch} the caller
     * syncs what is not synced yet. Callers that wait at the same time share one sync (a group commit): whoever gets
     * the lock next finds their records synced already. A failed sync throws (and is counted).
     */
    public void awaitDurable() {
        if (settings.sync() != SyncPolicy.BATCH) {
            return;
        }
        JournalStore s = store;
        if (s != null) {
            s.syncIfBehind();
        }
    }

    /** Forces every record appended so far onto the disk, so it survives a power loss too. */
    public void sync() {
        JournalStore s = store;
        if (s != null) {
            s.sync();
        }
    }

    /** How the journal's syncs fare: for the health details. */
    public SyncStatus syncStatus() {
        return syncFailures.status();
    }

    /** A reader that starts just after the last acknowledged record. Use it from one thread. */
    public JournalReader reader() {
        return store.reader();
    }

    /**
     * Moves the acknowledged position to {@code index}; {@code count} records of {@code bytes} in all (their
     * {@link JournalEntry#size()}) were acknowledged since the previous call. Callers move it forward only over
     * records Kafka acknowledged, without gaps.
     */
    public void acknowledge(long index, int count, long bytes) {
        store.acknowledge(index, count, bytes);
    }

    /** Index of the last acknowledged record, or {@link #NO_RECORD} when none is. */
    public long acknowledgedIndex() {
        return store.acknowledgedIndex();
    }

    /**
     * The journal's own id (its {@code journal.id} file): the same for as long as the journal directory lives, and
     * for a copy of it. With exactly-once delivery the publisher's transactional id and its position record's key.
     */
    public String id() {
        return store.journalId();
    }

    /** Records appended since start. */
    public long appendedCount() {
        JournalStore s = store;
        return s == null ? 0 : s.appendedCount();
    }

    /** Records acknowledged by Kafka since start. */
    public long acknowledgedCount() {
        JournalStore s = store;
        return s == null ? 0 : s.acknowledgedCount();
    }

    /** Records in the journal that Kafka has not acknowledged yet, including those left by an earlier run. */
    public long backlogRecords() {
        JournalStore s = store;
        return s == null ? 0 : s.backlogRecords();
    }

    /** Bytes of everything the journal has on disk, as last measured. */
    public long bytesOnDisk() {
        JournalStore s = store;
        return s == null ? 0 : s.budget().filesBytes();
    }

    /** Bytes of the records Kafka has not acknowledged. */
    public long backlogBytes() {
        JournalStore s = store;
        return s == null ? 0 : s.budget().backlogBytes();
    }

    /** The cap on the journal's files, in bytes. */
    public long maxBytes() {
        return settings.maxSize().toBytes();
    }

    /** True while the journal's files are at their cap, or records wait and the file system is nearly full. */
    public boolean isFull() {
        JournalStore s = store;
        return s != null && s.budget().isFull();
    }

    /** Records appended and not yet synced. */
    long unsyncedRecords() {
        return store.unsyncedRecords();
    }

    PageToucher pageToucherForTest() {
        return store.pageToucher();
    }

    JournalFileSync fileSyncForTest() {
        return store.fileSync();
    }

    /**
     * A roll cycle by name: Chronicle's usual ones, its legacy ones, or its test ones (seconds long); MINUTELY is
     * {@link SparseMinutely}, which Chronicle's legacy MINUTELY reads and writes alike. Resolved before anything on
     * disk is touched, so a misspelt name stops start-up and harms nothing.
     */
    static RollCycle rollCycle(String name) {
        Set<String> names = new LinkedHashSet<>();
        for (RollCycle[] cycles : new RollCycle[][] {SparseMinutely.values(), LegacyRollCycles.values(),
                RollCycles.values(), TestRollCycles.values()}) {
            for (RollCycle cycle : cycles) {
                String cycleName = ((Enum<?>) cycle).name();
                if (cycleName.equals(name)) {
                    return cycle;
                }
                names.add(cycleName);
            }
        }
        throw new IllegalArgumentException("exporter.journal.roll-cycle: unknown roll cycle '" + name + "'; use one of "
                + String.join(", ", names));
    }

    /** Stops the maintenance (letting a running sync end), syncs unless the policy is none, closes, unlocks. */
    @Override
    public void stop() {
        JournalMaintenance m;
        synchronized (this) {
            m = maintenance;
            maintenance = null;
        }
        if (m != null) {
            m.stop();
        }
        JournalStore s;
        synchronized (this) {
            s = store;
            if (s == null || !s.isOpen()) {
                return;
            }
            s.close();
            lock.close();
        }
        roomMade();
        log.info("Journal closed: {} records wait for Kafka", s.backlogRecords());
    }

    @Override
    public boolean isRunning() {
        JournalStore s = store;
        return s != null && s.isOpen();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
