package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.github.decisionlog.exporter.ExporterProperties.Publish.Delivery;
import io.github.decisionlog.exporter.journal.UndecodableEntryException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.stereotype.Component;

/**
 * Tails the journal from the acknowledged position and sends every record to Kafka through one {@link Window}, bounded
 * in records and bytes. The acknowledged position moves only over the unbroken run of acknowledged records at the
 * head of the window. When a send fails, the window is let to settle, and everything after the acknowledged position
 * is sent again after a doubling, capped, wait: records that had already reached Kafka become duplicates with the same
 * record id, and nothing is lost. A record that cannot go to its topic (an entry that cannot be decoded, or a record
 * Kafka refuses for good {@code poison-attempts} times, each time sent alone) takes the one other way, through the
 * same window and producer: {@link DeadLetters}.
 * <p>
 * With {@code delivery: exactly-once} the same window is one Kafka transaction at a time ({@link Transactions}): it
 * ends after {@code transaction-interval} or {@code transaction-records}, or when the window is full; the journal
 * position of its last record is written to the offsets topic in it, and the acknowledged position moves only after
 * the commit returned. Any failure aborts the transaction and rewinds to Kafka's committed position; being fenced by
 * another producer with the same transactional id stops publishing for good (never a fight over the journal).
 */
@Component
public class Publisher implements SmartLifecycle {

    public static final int PHASE = 100;

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int SENDS_PER_TURN = 512;

    private final Journal journal;
    private final ProducerFactory<byte[], byte[]> producers;
    private final ExporterProperties.Publish settings;
    private final KafkaRecords records;
    private final DeadLetters deadLetters;
    private final PublishMeters meters;
    private final Counter skippedRejects;
    private final Window window;
    private final InterruptibleSend sending = new InterruptibleSend();
    private final Map<String, Object> adminConfig;
    private final Counter committed;
    private final Counter aborted;
    private Transactions tx; // exactly-once only; made at start, when the journal id is known

    // read by other threads (lifecycle, gauges, health)
    private volatile boolean running;
    private volatile Thread thread;
    private volatile long oldestUnacknowledgedAt;
    private volatile int inFlight;
    private volatile boolean kafkaDown;
    private volatile long lastProgressAt = System.currentTimeMillis();
    private volatile long drainDeadline; // System.nanoTime() by which a stop's drain ends
    private volatile boolean stopping;
    private volatile long drainLeft;
    private volatile String stoppedReason; // publishing stopped for good: fenced, or no usable offsets topic

    // the publisher thread's own
    private Producer<byte[], byte[]> producer;
    private Duration backoff;
    private boolean probing;
    private JournalEntry pending; // read, and waiting for room in the window
    private UndecodableEntryException pendingUndecodable;

    public Publisher(Journal journal, KafkaTemplate<byte[], byte[]> kafka, KafkaAdmin admin,
            ExporterProperties properties, MeterRegistry registry) {
        this.journal = journal;
        this.producers = kafka.getProducerFactory();
        this.settings = properties.publish();
        this.window = new Window(settings.maxInFlight(),
                ProducerSettings.check(producers.getConfigurationProperties(), settings));
        this.records = new KafkaRecords(settings);
        this.backoff = settings.retryInitialBackoff();
        this.deadLetters = new DeadLetters(records, settings, registry);
        this.meters = new PublishMeters(registry);
        this.skippedRejects = Counter.builder("decisionlog.records.dropped").tag("reason", "no_rejects_topic")
                .description("Journaled rejects skipped because exporter.publish.rejects-topic is no longer set")
                .register(registry);
        this.adminConfig = admin.getConfigurationProperties();
        this.committed = Counter.builder("decisionlog.publish.transactions").tag("outcome", "committed")
                .description("Kafka transactions of the exactly-once delivery, by outcome").register(registry);
        this.aborted = Counter.builder("decisionlog.publish.transactions").tag("outcome", "aborted")
                .description("Kafka transactions of the exactly-once delivery, by outcome").register(registry);
        Gauge.builder("decisionlog.publish.stopped", this, p -> p.stoppedReason == null ? 0 : 1)
                .description("1 when publishing has stopped for good: fenced by another exporter with the same "
                        + "transactional id, or no usable offsets topic")
                .register(registry);
    }

    private boolean exactlyOnce() {
        return settings.delivery() == Delivery.EXACTLY_ONCE;
    }

    @Override
    public void start() {
        if (exactlyOnce()) {
            tx = new Transactions(producers.getConfigurationProperties(), adminConfig, settings.offsetsTopic(),
                    settings.transactionalIdPrefix(), journal.id());
            checkOffsetsTopicAtStart();
        }
        stopping = false;
        drainLeft = 0;
        running = true;
        Thread t = new Thread(this::run, "publisher");
        window.owner(t);
        thread = t;
        t.start();
    }

    /**
     * A non-compacted offsets topic stops the start, named; a Kafka that cannot be reached now does not (the
     * publisher checks again before its first transaction).
     */
    private void checkOffsetsTopicAtStart() {
        Map<String, Object> config = new java.util.HashMap<>(adminConfig);
        config.putIfAbsent("bootstrap.servers", producers.getConfigurationProperties().get("bootstrap.servers"));
        config.put("request.timeout.ms", 5000);
        config.put("default.api.timeout.ms", 5000);
        try (Admin admin = Admin.create(config)) {
            Transactions.checkOffsetsTopic(admin, settings.offsetsTopic(), Duration.ofSeconds(5));
            tx.offsetsTopicChecked();
        } catch (Transactions.OffsetsTopicException e) {
            throw e;
        } catch (Exception e) {
            log.info("Could not check the offsets topic {} now ({}); the publisher checks it before it sends",
                    settings.offsetsTopic(), describe(e));
        }
        log.info("Exactly-once delivery: transactional.id {}, journal position committed to {} with every "
                + "transaction ({} or {} records)", tx.transactionalId(), settings.offsetsTopic(),
                settings.transactionInterval(), settings.transactionRecords());
    }

    private void run() {
        try (JournalReader reader = journal.reader()) {
            if (tx != null) {
                runTransactional(reader);
                return;
            }
            while (active()) {
                if (window.failed()) {
                    recover(reader);
                    continue;
                }
                boolean sent = fill(reader);
                boolean acknowledged = advance();
                if (!sent && !acknowledged) {
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                }
            }
            drainOnStop();
        } catch (RuntimeException e) {
            log.error("Publisher stopped by an unexpected error; records wait in the journal", e);
        }
    }

    /** Sends what the journal has, as far as the window has room. */
    private boolean fill(JournalReader reader) {
        int sent = 0;
        while (sent < SENDS_PER_TURN && !window.failed()) {
            if (pending == null && pendingUndecodable == null) {
                try {
                    pending = reader.next();
                } catch (UndecodableEntryException e) {
                    pendingUndecodable = e;
                }
                if (pending == null && pendingUndecodable == null) {
                    break;
                }
            }
            int size = pending != null ? pending.size() : pendingUndecodable.size();
            if (!window.fits(size, probing)
                    || tx != null && window.size() >= settings.transactionRecords()) {
                break;
            }
            if (pending != null) {
                send(pending);
                pending = null;
            } else {
                deadLetter(pendingUndecodable);
                pendingUndecodable = null;
            }
            sent++;
        }
        updateGauges();
        return sent > 0;
    }

    private void send(JournalEntry entry) {
        if (deadLetters.isMarked(entry.index())) {
            deadLetter(entry);
            return;
        }
        ProducerRecord<byte[], byte[]> record = records.toRecord(entry);
        if (record == null) { // refused at ingest while a rejects topic was set; none is now
            skippedRejects.increment();
            window.add(entry.index(), entry.receivedAtMillis(), entry.size(), null, null).complete(null);
            return;
        }
        send(record, window.add(entry.index(), entry.receivedAtMillis(), entry.size(),
                meters.source(entry.meta().source()), null));
    }

    private void deadLetter(JournalEntry entry) {
        Window.DeadLetter letter = deadLetters.marked(entry);
        Window.Slot slot = window.add(entry.index(), entry.receivedAtMillis(), entry.size(), null, letter);
        deadLetter(slot, deadLetters.hasTopic() ? deadLetters.copy(entry, letter) : null);
    }

    private void deadLetter(UndecodableEntryException e) {
        Window.DeadLetter letter = DeadLetters.undecodable(e);
        Window.Slot slot = window.add(e.index(), System.currentTimeMillis(), e.size(), null, letter);
        deadLetter(slot, deadLetters.hasTopic() ? deadLetters.copy(e, letter) : null);
    }

    private void deadLetter(Window.Slot slot, ProducerRecord<byte[], byte[]> copy) {
        if (copy == null) {
            slot.dropped = true;
            slot.complete(null);
        } else {
            send(copy, slot);
        }
    }

    /**
     * One send through the Kafka producer itself, shared through the template's factory (per record the template
     * would add a future, a listener call and a timer sample, which the publisher does not need). A stop may interrupt
     * a send that the client blocks (waiting for metadata, up to {@code max.block.ms}); the interrupt never outlives
     * the send.
     */
    private void send(ProducerRecord<byte[], byte[]> record, Window.Slot slot) {
        sending.enter();
        try {
            if (tx != null) {
                tx.begin();
                tx.producer().send(record, slot);
                return;
            }
            if (producer == null) {
                producer = producers.createProducer();
            }
            producer.send(record, slot);
        } catch (RuntimeException ex) { // the client refused before queueing, e.g. no metadata in max.block.ms
            slot.complete(ex);
        } finally {
            sending.exit();
        }
    }

    /** Moves the acknowledged position over the acknowledged head of the window. */
    private boolean advance() {
        int count = 0;
        long bytes = 0;
        long last = 0;
        long now = System.currentTimeMillis();
        Window.Slot head;
        while ((head = window.head()) != null && head.done) {
            if (head.deadLetter != null ? !deadLetters.settled(head) : head.error != null) {
                break;
            }
            if (head.meters != null) {
                head.meters.acknowledged(head.receivedAt, now);
            }
            window.poll();
            last = head.index;
            bytes += head.size;
            count++;
        }
        if (count > 0) {
            probing = false;
            journal.acknowledge(last, count, bytes);
            lastProgressAt = now;
            if (kafkaDown) {
                kafkaDown = false;
                log.info("Kafka accepts records again; {} records wait in the journal", journal.backlogRecords());
            }
            backoff = settings.retryInitialBackoff();
        }
        updateGauges();
        return count > 0;
    }

    /**
     * A send failed: wait until every send in flight has settled, keep what Kafka acknowledged before the first gap,
     * then go back to the acknowledged position and send the rest again after the backoff, the first record alone: a
     * record the broker refuses then fails on its own instead of taking a batch down with it. One it refuses for good,
     * {@code poison-attempts} times, goes to the dead letters at once, so that it cannot hold up the records behind it.
     */
    private void recover(JournalReader reader) {
        while (active() && !window.settled()) {
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        advance();
        Window.Slot head = window.head();
        Throwable cause = head != null && head.error != null ? head.error : window.firstError();
        long oldest = head != null ? head.receivedAt : oldestUnacknowledgedAt;
        window.clear();
        pending = null;
        pendingUndecodable = null;
        reader.rewind();
        if (cause == null) { // only dead letters that their topic refused, and those are dropped
            return;
        }
        meters.failed(reason(cause));
        inFlight = 0;
        oldestUnacknowledgedAt = oldest; // still waiting, so the backlog keeps ageing during the backoff
        producer = null; // ask the factory again: it replaces a producer that a fatal error closed
        probing = true;
        if (head != null && head.deadLetter != null && head.error != null) {
            deadLetters.failed(head, head.error);
        } else if (head != null && head.error != null && deadLetters.refusedForGood(head)) {
            return; // no wait: Kafka works; the record goes to the dead letters when it is read again
        }
        if (!kafkaDown) {
            kafkaDown = true;
            log.warn("Sending to Kafka failed ({}); {} records wait in the journal; retrying with a backoff of up to {} s",
                    describe(cause), journal.backlogRecords(), settings.retryMaxBackoff().toSeconds());
        } else {
            log.debug("Sending to Kafka failed again: {}", describe(cause));
        }
        sleep(backoff);
        Duration doubled = backoff.multipliedBy(2);
        backoff = doubled.compareTo(settings.retryMaxBackoff()) > 0 ? settings.retryMaxBackoff() : doubled;
    }

    private void runTransactional(JournalReader reader) {
        boolean publishing = resume(reader);
        while (publishing && active() && stoppedReason == null) {
            if (window.failed()) {
                publishing = recoverTransaction(reader, null);
                continue;
            }
            boolean sent = fill(reader);
            boolean done = commitIfDue(reader, sent);
            if (!sent && !done) {
                LockSupport.parkNanos(IDLE_PARK_NANOS);
            }
        }
        if (stoppedReason == null) {
            finishOnStop(reader);
        }
        while (running) { // stopped for good: idle, alive, until the exporter stops
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /**
     * Opens the transactional producer (fencing any older one with the same transactional id and ending the
     * transaction it left open), reads the position Kafka committed last and moves the journal's acknowledged
     * position there, then reads on from it. Retries with the backoff while Kafka cannot be reached.
     *
     * @return false when publishing stopped for good, or the exporter is stopping
     */
    private boolean resume(JournalReader reader) {
        while (active()) {
            try {
                long position = tx.open();
                catchUp(reader, position);
                log.info("Publishing in transactions as {}, after journal index {} (committed in {})",
                        tx.transactionalId(), Long.toHexString(journal.acknowledgedIndex()), settings.offsetsTopic());
                if (kafkaDown) {
                    kafkaDown = false;
                    log.info("Kafka accepts transactions again; {} records wait in the journal",
                            journal.backlogRecords());
                }
                backoff = settings.retryInitialBackoff();
                return true;
            } catch (Transactions.OffsetsTopicException e) {
                stopPublishing(e.getMessage(), e);
                return false;
            } catch (Exception e) {
                if (Transactions.isFencing(e)) {
                    fenced(e);
                    return false;
                }
                tx.close();
                meters.failed(reason(e));
                retryLater(e);
            }
        }
        return false;
    }

    /** Moves the acknowledged position up to what Kafka committed, if it is behind (a crash after a commit). */
    private void catchUp(JournalReader reader, long position) {
        long ack = journal.acknowledgedIndex();
        if (position != Journal.NO_RECORD && (ack == Journal.NO_RECORD || position > ack)) {
            reader.rewind();
            int count = 0;
            long bytes = 0;
            long last = ack;
            while (true) {
                long index;
                int size;
                try {
                    JournalEntry e = reader.next();
                    if (e == null) {
                        break;
                    }
                    index = e.index();
                    size = e.size();
                } catch (UndecodableEntryException u) {
                    index = u.index();
                    size = u.size();
                }
                if (index > position) {
                    break;
                }
                count++;
                bytes += size;
                last = index;
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
        reader.rewind();
    }

    /**
     * Commits the open transaction when it is due: {@code transaction-interval} after it began, {@code
     * transaction-records} sent, the window full, a probe sent, or a stop under way and the journal read to its end.
     */
    private boolean commitIfDue(JournalReader reader, boolean sent) {
        if (window.isEmpty()) {
            return false;
        }
        boolean due = probing || !running && !sent || pending != null || pendingUndecodable != null
                || window.size() >= settings.transactionRecords()
                || !tx.isOpen() || System.nanoTime() - tx.beganAt() >= settings.transactionInterval().toNanos();
        if (!due) {
            return false;
        }
        return commit(reader);
    }

    /** Waits for every send of the transaction, commits it with the position of its last record, acknowledges. */
    private boolean commit(JournalReader reader) {
        while (!window.settled() && !window.failed()) {
            if (!active()) {
                return false; // stopping, and the drain deadline passed: the stop aborts it
            }
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        if (window.failed()) {
            recoverTransaction(reader, null);
            return true;
        }
        try {
            tx.begin(); // a window of skipped records only: the position alone
            tx.commit(window.last().index);
        } catch (RuntimeException e) {
            recoverTransaction(reader, e);
            return true;
        }
        committed.increment();
        advance();
        return true;
    }

    /**
     * A send or the commit failed: abort (by closing the producer; the next one's registration ends the
     * transaction), apply the poison-record rule to the first failed record, wait the backoff unless the failure was
     * such a record, and resume from Kafka's committed position: nothing of the aborted transaction counts.
     *
     * @return false when publishing stopped for good
     */
    private boolean recoverTransaction(JournalReader reader, Throwable commitError) {
        Window.Slot failedSlot = window.firstFailed();
        Throwable cause = commitError != null ? commitError : failedSlot != null ? failedSlot.error : null;
        if (Transactions.isFencing(cause) || window.anyError(Transactions::isFencing)
                || (Transactions.isEpochError(cause) || window.anyError(Transactions::isEpochError))
                        && tx.confirmFenced()) {
            fenced(cause);
            return false;
        }
        aborted.increment();
        tx.close();
        settleAndClear();
        inFlight = 0;
        probing = true;
        boolean wait = true;
        if (failedSlot != null && failedSlot.deadLetter != null) {
            deadLetters.failed(failedSlot, failedSlot.error);
        } else if (failedSlot != null && deadLetters.refusedForGood(failedSlot)) {
            wait = false; // Kafka works; the record goes to the dead letters when it is read again
        }
        if (cause != null) {
            meters.failed(reason(cause));
        }
        if (wait) {
            retryLater(cause);
        }
        return resume(reader);
    }

    /** Gives the producer's callbacks a bounded time to settle what was in flight, then forgets the window. */
    private void settleAndClear() {
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        while (!window.settled() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        window.clear();
        pending = null;
        pendingUndecodable = null;
    }

    private void retryLater(Throwable cause) {
        if (!kafkaDown) {
            kafkaDown = true;
            log.warn("Sending to Kafka failed ({}); the transaction was aborted; {} records wait in the journal; "
                    + "retrying with a backoff of up to {} s", cause == null ? "unknown" : describe(cause),
                    journal.backlogRecords(), settings.retryMaxBackoff().toSeconds());
        } else {
            log.debug("Sending to Kafka failed again: {}", cause == null ? "unknown" : describe(cause));
        }
        sleep(backoff);
        Duration doubled = backoff.multipliedBy(2);
        backoff = doubled.compareTo(settings.retryMaxBackoff()) > 0 ? settings.retryMaxBackoff() : doubled;
    }

    private void fenced(Throwable cause) {
        stopPublishing("fenced: another exporter with transactional.id " + tx.transactionalId() + " has taken over "
                + "this journal's records in Kafka (" + (cause == null ? "fenced" : describe(cause)) + "); this one "
                + "keeps accepting into its journal but sends nothing and does not take over again", null);
    }

    private void stopPublishing(String reason, Throwable cause) {
        stoppedReason = reason;
        log.error("Publishing stopped: {}", reason);
        tx.close();
        settleAndClear();
        inFlight = 0;
        kafkaDown = false;
    }

    /** On stop after the drain: commit what was sent if every send succeeded in time, else abort it. */
    private void finishOnStop(JournalReader reader) {
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        while (!window.isEmpty() && !window.settled() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        if (!window.isEmpty() && window.settled() && !window.failed()) {
            try {
                tx.begin();
                tx.commit(window.last().index);
                committed.increment();
                advance();
            } catch (RuntimeException e) {
                aborted.increment();
                log.info("Stopping: the last transaction could not be committed ({}); its records are sent again "
                        + "at the next start", describe(e));
            }
        } else if (!window.isEmpty()) {
            aborted.increment();
        }
        tx.abortAndClose(settings.closeTimeout());
        settleAndClear();
    }

    /**
     * Why publishing stopped for good (exactly-once only: fenced by another exporter with the same transactional id,
     * or no usable offsets topic), or {@code null} while it publishes.
     */
    public String stoppedReason() {
        return stoppedReason;
    }

    /** After a stop was asked for: true while records wait for Kafka and the drain deadline has not passed. */
    private boolean draining() {
        return stoppedReason == null && System.nanoTime() - drainDeadline < 0 && (!window.isEmpty() || journal.backlogRecords() > 0);
    }

    /** Running, or draining on stop. */
    private boolean active() {
        return running || draining();
    }

    /**
     * The drain has ended: send nothing new, give what is in flight a bounded time, and keep the acknowledged
     * position.
     */
    private void drainOnStop() {
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        while (!window.isEmpty() && !window.failed() && System.nanoTime() - deadline < 0) {
            advance();
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        advance();
    }

    private void updateGauges() {
        Window.Slot head = window.head();
        inFlight = window.size();
        oldestUnacknowledgedAt = head != null ? head.receivedAt : 0;
    }

    private void sleep(Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        long left;
        while (active() && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private static String reason(Throwable t) {
        return DeadLetters.rootCause(t).getClass().getSimpleName();
    }

    private static String describe(Throwable t) {
        return DeadLetters.describe(t);
    }

    /** Epoch milliseconds at which the oldest record still in flight was received, or 0 when none is in flight. */
    public long oldestUnacknowledgedReceivedAt() {
        return oldestUnacknowledgedAt;
    }

    /** True while sends fail and the publisher is retrying. */
    public boolean isFailing() {
        return kafkaDown;
    }

    /** Epoch milliseconds of the last time Kafka acknowledged a record (or of the start). */
    public long lastProgressAt() {
        return lastProgressAt;
    }

    /** False once the publisher's thread has ended while the publisher should be running. */
    public boolean isAlive() {
        Thread t = thread;
        return t == null || t.isAlive();
    }

    /** Records sent and not yet acknowledged. */
    public int inFlight() {
        return inFlight;
    }

    /**
     * 0 while running; during a stop's drain the records still waiting for Kafka; once the drain has ended, those it
     * left in the journal.
     */
    public long drainLeft() {
        return stopping && thread != null ? journal.backlogRecords() : drainLeft;
    }

    /**
     * Stops after a drain: the sources have stopped (they stop first), so the backlog only shrinks; the publisher
     * keeps sending until it is empty or {@code drain-timeout} has passed, then waits up to {@code close-timeout} for
     * sends in flight. Returns only once the publisher's thread has ended, whatever the Kafka client's timeouts: the
     * journal closes after this, and must never close under a running reader. A send still blocked in the client
     * then (waiting for metadata up to {@code max.block.ms}) is interrupted. One log line says what was sent and what
     * was left.
     */
    @Override
    public void stop() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        long started = System.nanoTime();
        long backlogAtStop = journal.backlogRecords();
        long acknowledgedAtStop = journal.acknowledgedCount();
        drainDeadline = started + settings.drainTimeout().toNanos();
        stopping = true;
        if (backlogAtStop > 0) {
            log.info("Stopping: sending the {} records that wait for Kafka, for up to {} s", backlogAtStop,
                    settings.drainTimeout().toSeconds());
        }
        running = false;
        LockSupport.unpark(t);
        awaitEnd(t, settings.drainTimeout().plus(settings.closeTimeout()).plusSeconds(1));
        thread = null;
        long left = journal.backlogRecords();
        drainLeft = left;
        double seconds = (System.nanoTime() - started) / 1e9;
        long sent = journal.acknowledgedCount() - acknowledgedAtStop;
        if (left == 0) {
            log.info("Publisher stopped: drained {} records in {} s; nothing is left in the journal", sent,
                    String.format("%.1f", seconds));
        } else {
            log.warn("Publisher stopped: drained {} records in {} s; {} records are left in the journal ({}); they "
                    + "are sent when an exporter starts on this journal again, and lost if the journal's volume is "
                    + "deleted with the pod", sent, String.format("%.1f", seconds), left,
                    System.nanoTime() - drainDeadline >= 0 ? "the drain deadline passed" : "the publisher had stopped");
        }
    }

    /** Waits for the thread to end; past {@code grace}, wakes a send blocked in the Kafka client, and waits on. */
    private void awaitEnd(Thread t, Duration grace) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + grace.toNanos();
        long nextLog = deadline + TimeUnit.SECONDS.toNanos(10);
        while (t.isAlive()) {
            try {
                t.join(100);
            } catch (InterruptedException e) {
                interrupted = true; // the journal must not close under the publisher: wait on, say so afterwards
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                sending.wake(t);
            }
            if (now - nextLog >= 0 && t.isAlive()) {
                log.warn("Stopping: the publisher is still waiting for the Kafka client; the journal closes after it");
                nextLog = now + TimeUnit.SECONDS.toNanos(10);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
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
