package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once delivery: the window is one Kafka transaction at a time ({@link Transactions}). It ends after {@code
 * transaction-interval} or {@code transaction-records}, or when the window is full; the journal position of its last
 * record is written to the offsets topic in it, and the journal's acknowledged position moves only after the commit
 * returned. Any failure aborts the transaction and rewinds to Kafka's committed position; being fenced by another
 * producer with the same transactional id stops publishing for good (never a fight over the journal).
 */
final class ExactlyOnce implements DeliveryMode {

    private static final Logger log = LoggerFactory.getLogger(ExactlyOnce.class);
    private static final String ABORTED = "the transaction was aborted; ";

    private final Publishing publishing;
    private final ExporterProperties.Publish settings;
    private final Journal journal;
    private final Window window;
    private final Map<String, Object> producerConfig;
    private final Map<String, Object> adminConfig;
    private Transactions tx; // made at start, when the journal id is known
    private volatile String stoppedReason;

    ExactlyOnce(Publishing publishing, Map<String, Object> producerConfig, Map<String, Object> adminConfig) {
        this.publishing = publishing;
        this.settings = publishing.settings();
        this.journal = publishing.journal();
        this.window = publishing.window();
        this.producerConfig = producerConfig;
        this.adminConfig = adminConfig;
    }

    /**
     * A non-compacted offsets topic stops the start, named; a Kafka that cannot be reached now does not (the
     * publisher checks again before its first transaction).
     */
    @Override
    public void start() {
        tx = new Transactions(producerConfig, adminConfig, settings.offsetsTopic(), settings.transactionalIdPrefix(),
                journal.id());
        Map<String, Object> config = new HashMap<>(adminConfig);
        config.putIfAbsent("bootstrap.servers", producerConfig.get("bootstrap.servers"));
        config.put("request.timeout.ms", 5000);
        config.put("default.api.timeout.ms", 5000);
        try (Admin admin = Admin.create(config)) {
            Transactions.checkOffsetsTopic(admin, settings.offsetsTopic(), Duration.ofSeconds(5));
            tx.offsetsTopicChecked();
        } catch (Transactions.OffsetsTopicException e) {
            throw e;
        } catch (Exception e) {
            log.info("Could not check the offsets topic {} now ({}); the publisher checks it before it sends",
                    settings.offsetsTopic(), DeadLetters.describe(e));
        }
        log.info("Exactly-once delivery: transactional.id {}, journal position committed to {} with every "
                + "transaction ({} or {} records)", tx.transactionalId(), settings.offsetsTopic(),
                settings.transactionInterval(), settings.transactionRecords());
    }

    /**
     * Opens the transactional producer (fencing any older one with the same transactional id and ending the
     * transaction it left open), reads the position Kafka committed last and moves the journal's acknowledged
     * position there, then reads on from it. Retries with the backoff while Kafka cannot be reached.
     *
     * @return false when publishing stopped for good, or the exporter is stopping
     */
    @Override
    public boolean begin(JournalCursor cursor) {
        while (publishing.isActive()) {
            try {
                long position = tx.open();
                catchUp(cursor, position);
                log.info("Publishing in transactions as {}, after journal index {} (committed in {})",
                        tx.transactionalId(), Long.toHexString(journal.acknowledgedIndex()), settings.offsetsTopic());
                return true;
            } catch (Transactions.OffsetsTopicException e) {
                stopPublishing(e.getMessage(), cursor);
                return false;
            } catch (Exception e) {
                if (Transactions.isFencing(e)) {
                    fenced(e, cursor);
                    return false;
                }
                tx.close();
                publishing.meters().failed(e);
                publishing.backoff().failed(e, ABORTED, journal.backlogRecords(), publishing.active());
            }
        }
        return false;
    }

    /** Moves the acknowledged position up to what Kafka committed, if it is behind (a crash after a commit). */
    private void catchUp(JournalCursor cursor, long position) {
        long ack = journal.acknowledgedIndex();
        if (position != Journal.NO_RECORD && (ack == Journal.NO_RECORD || position > ack)) {
            cursor.rewind();
            int count = 0;
            long bytes = 0;
            long last = ack;
            while (cursor.next() && cursor.index() <= position) {
                count++;
                bytes += cursor.size();
                last = cursor.index();
                cursor.taken();
            }
            if (count > 0) {
                journal.acknowledge(last, count, bytes);
                log.info("Kafka had committed {} records after the journal's acknowledged position (their commit "
                        + "was not yet recorded locally); resuming after them", count);
            }
        } else if (position != Journal.NO_RECORD && position < ack) {
            log.info("The position committed to {} is behind the journal's acknowledged position (records "
                    + "published before exactly-once was on); resuming after the acknowledged position",
                    settings.offsetsTopic());
        }
        cursor.rewind();
    }

    @Override
    public Producer<byte[], byte[]> producer() {
        tx.begin();
        return tx.producer();
    }

    @Override
    public boolean takesMore(Window window) {
        return window.size() < settings.transactionRecords();
    }

    /**
     * Commits the open transaction when it is due: {@code transaction-interval} after it began, {@code
     * transaction-records} sent, the window full, a record sent alone, or a stop under way and the journal read to its
     * end.
     */
    @Override
    public boolean settle(JournalCursor cursor, boolean sent, boolean stopping) {
        if (window.isEmpty()) {
            return false;
        }
        boolean due = window.sendsAlone() || stopping && !sent || cursor.hasWaiting()
                || window.size() >= settings.transactionRecords()
                || !tx.isOpen() || System.nanoTime() - tx.beganAt() >= settings.transactionInterval().toNanos();
        return due && commit(cursor);
    }

    /** Waits for every send of the transaction, commits it with the position of its last record, acknowledges. */
    private boolean commit(JournalCursor cursor) {
        while (!window.settled() && !window.failed()) {
            if (!publishing.isActive()) {
                return false; // stopping, and the drain deadline passed: the stop aborts it
            }
            Waits.idle();
        }
        if (window.failed()) {
            recover(cursor, null);
            return true;
        }
        try {
            tx.begin(); // a window of skipped records only: the position alone
            tx.commit(window.last().index);
        } catch (RuntimeException e) {
            recover(cursor, e);
            return true;
        }
        publishing.meters().transactionCommitted();
        publishing.acknowledger().acknowledgeHead();
        return true;
    }

    @Override
    public void recover(JournalCursor cursor) {
        recover(cursor, null);
    }

    /**
     * A send or the commit failed: abort (by closing the producer; the next one's registration ends the
     * transaction), apply the dead-letter and poison-record rules to the first failed record, wait the backoff unless
     * that record is the cause, and resume from Kafka's committed position: nothing of the aborted transaction counts.
     */
    private void recover(JournalCursor cursor, Throwable commitError) {
        Window.Slot failed = window.firstFailed();
        Throwable cause = commitError != null ? commitError : failed != null ? failed.error : null;
        if (isFenced(cause)) {
            fenced(cause, cursor);
            return;
        }
        publishing.meters().transactionAborted();
        tx.close();
        settleAndClear(cursor);
        window.sendAlone();
        boolean wait = true;
        DeadLetters deadLetters = publishing.deadLetters();
        if (failed != null && failed.deadLetter != null) {
            // a copy the dead-letter topic refuses for good is dropped when its record is read again, as with
            // at-least-once; only one that may yet get through waits
            wait = !deadLetters.refusedForGoodToo(failed);
            if (wait) {
                deadLetters.failed(failed, failed.error);
            }
        } else if (failed != null && deadLetters.refusedForGood(failed)) {
            wait = false; // Kafka works; the record goes to the dead letters when it is read again
        }
        if (cause != null) {
            publishing.meters().failed(cause);
        }
        if (wait) {
            publishing.backoff().failed(cause, ABORTED, journal.backlogRecords(), publishing.active());
        }
        begin(cursor);
    }

    /**
     * Fenced: another producer registered with the transactional id. An {@code InvalidProducerEpochException} alone
     * does not say so (the coordinator also bumps the epoch when it aborts a transaction that timed out): an abort
     * with the same producer tells the two apart.
     */
    private boolean isFenced(Throwable cause) {
        return Transactions.isFencing(cause) || window.anyError(Transactions::isFencing)
                || (Transactions.isEpochError(cause) || window.anyError(Transactions::isEpochError))
                        && tx.confirmFenced();
    }

    /** Gives the producer's callbacks a bounded time to settle what was in flight, then forgets the window. */
    private void settleAndClear(JournalCursor cursor) {
        Waits.until(window::settled, settings.closeTimeout());
        window.clear();
        cursor.rewind();
    }

    private void fenced(Throwable cause, JournalCursor cursor) {
        stopPublishing("fenced: another exporter with transactional.id " + tx.transactionalId() + " has taken over "
                + "this journal's records in Kafka (" + (cause == null ? "fenced" : DeadLetters.describe(cause))
                + "); this one keeps accepting into its journal but sends nothing and does not take over again",
                cursor);
    }

    private void stopPublishing(String reason, JournalCursor cursor) {
        stoppedReason = reason;
        log.error("Publishing stopped: {}", reason);
        tx.close();
        settleAndClear(cursor);
        publishing.backoff().stopped();
    }

    /** On stop after the drain: commit what was sent if every send succeeded in time, else abort it. */
    @Override
    public void finish(JournalCursor cursor) {
        Waits.until(() -> window.isEmpty() || window.settled(), settings.closeTimeout());
        if (!window.isEmpty() && window.settled() && !window.failed()) {
            try {
                tx.begin();
                tx.commit(window.last().index);
                publishing.meters().transactionCommitted();
                publishing.acknowledger().acknowledgeHead();
            } catch (RuntimeException e) {
                publishing.meters().transactionAborted();
                log.info("Stopping: the last transaction could not be committed ({}); its records are sent again "
                        + "at the next start", DeadLetters.describe(e));
            }
        } else if (!window.isEmpty()) {
            publishing.meters().transactionAborted();
        }
        tx.abortAndClose(settings.closeTimeout());
        settleAndClear(cursor);
    }

    @Override
    public String stoppedReason() {
        return stoppedReason;
    }
}
