package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Publish.Delivery;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.github.decisionlog.exporter.journal.UndecodableEntryException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
 * in records and bytes; on stop, drains the backlog until the drain deadline. When Kafka's acknowledgement counts, and
 * how a failure rewinds, is the {@link DeliveryMode}'s: {@link AtLeastOnce} (the default) or {@link ExactlyOnce}. A
 * record that cannot go to its topic (an entry that cannot be decoded, or a record Kafka refuses for good {@code
 * poison-attempts} times, each time sent alone) takes the one other way, through the same window and producer:
 * {@link DeadLetters}.
 */
@Component
public class Publisher implements SmartLifecycle {

    public static final int PHASE = 100;

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    private static final int SENDS_PER_TURN = 512;

    private final Journal journal;
    private final ExporterProperties.Publish settings;
    private final KafkaRecords records;
    private final DeadLetters deadLetters;
    private final PublishMeters meters;
    private final Window window;
    private final Backoff backoff;
    private final Acknowledger acknowledger;
    private final DeliveryMode mode;
    private final InterruptibleSend sending = new InterruptibleSend();

    // read by other threads (lifecycle, gauges, health)
    private volatile boolean running;
    private volatile Thread thread;
    private volatile long drainDeadline; // System.nanoTime() by which a stop's drain ends
    private volatile boolean stopping;
    private volatile long drainLeft;

    public Publisher(Journal journal, KafkaTemplate<byte[], byte[]> kafka, KafkaAdmin admin,
            ExporterProperties properties, MeterRegistry registry) {
        ProducerFactory<byte[], byte[]> producers = kafka.getProducerFactory();
        this.journal = journal;
        this.settings = properties.publish();
        this.window = new Window(settings.maxInFlight(),
                ProducerSettings.check(producers.getConfigurationProperties(), settings));
        this.records = new KafkaRecords(settings);
        this.deadLetters = new DeadLetters(records, settings, registry);
        this.meters = new PublishMeters(registry);
        this.backoff = new Backoff(settings.retryInitialBackoff(), settings.retryMaxBackoff());
        this.acknowledger = new Acknowledger(journal, window, deadLetters, backoff);
        Publishing publishing = new Publishing(settings, journal, window, deadLetters, meters, backoff, acknowledger,
                this::active);
        this.mode = settings.delivery() == Delivery.EXACTLY_ONCE
                ? new ExactlyOnce(publishing, producers.getConfigurationProperties(), admin.getConfigurationProperties())
                : new AtLeastOnce(publishing, producers);
        Gauge.builder("decisionlog.publish.stopped", this, p -> p.stoppedReason() == null ? 0 : 1)
                .description("1 when publishing has stopped for good: fenced by another exporter with the same "
                        + "transactional id, or no usable offsets topic")
                .register(registry);
    }

    @Override
    public void start() {
        mode.start();
        stopping = false;
        drainLeft = 0;
        running = true;
        Thread t = new Thread(this::run, "publisher");
        window.owner(t);
        thread = t;
        t.start();
    }

    /**
     * The one run loop: read into the window as far as it has room, let the mode settle what Kafka acknowledged,
     * recover when a send failed; on stop, drain, then let the mode finish what is in flight.
     */
    private void run() {
        try (JournalReader reader = journal.reader()) {
            JournalCursor cursor = new JournalCursor(reader);
            boolean publishing = mode.begin(cursor);
            while (publishing && active() && mode.stoppedReason() == null) {
                if (window.failed()) {
                    mode.recover(cursor);
                    continue;
                }
                boolean sent = fill(cursor);
                boolean settled = mode.settle(cursor, sent, !running);
                if (!sent && !settled) {
                    Waits.idle();
                }
            }
            if (mode.stoppedReason() == null) {
                mode.finish(cursor);
            }
            while (running) { // stopped for good: idle, alive, until the exporter stops
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        } catch (RuntimeException e) {
            log.error("Publisher stopped by an unexpected error; records wait in the journal", e);
        }
    }

    /** Sends what the journal has, as far as the window has room. */
    private boolean fill(JournalCursor cursor) {
        int sent = 0;
        while (sent < SENDS_PER_TURN && !window.failed() && cursor.next()) {
            if (!window.fits(cursor.size()) || !mode.takesMore(window)) {
                break;
            }
            if (cursor.entry() != null) {
                send(cursor.entry());
            } else {
                deadLetter(cursor.undecodable());
            }
            cursor.taken();
            sent++;
        }
        window.publishGauges();
        return sent > 0;
    }

    private void send(JournalEntry entry) {
        if (deadLetters.isMarked(entry.index())) {
            deadLetter(entry);
            return;
        }
        ProducerRecord<byte[], byte[]> record = records.toRecord(entry);
        if (record == null) { // refused at ingest while a rejects topic was set; none is now
            meters.skippedReject();
            window.add(entry.index(), entry.receivedAtMillis(), entry.size(), null, null).complete(null);
            return;
        }
        send(record, window.add(entry.index(), entry.receivedAtMillis(), entry.size(),
                meters.source(entry.meta().source()), null));
    }

    private void deadLetter(JournalEntry entry) {
        Window.DeadLetter letter = deadLetters.marked(entry);
        Window.Slot slot = window.add(entry.index(), entry.receivedAtMillis(), entry.size(), null, letter);
        deadLetter(slot, deadLetters.sendsCopy(entry.index()) ? deadLetters.copy(entry, letter) : null);
    }

    private void deadLetter(UndecodableEntryException e) {
        Window.DeadLetter letter = DeadLetters.undecodable(e);
        Window.Slot slot = window.add(e.index(), System.currentTimeMillis(), e.size(), null, letter);
        deadLetter(slot, deadLetters.sendsCopy(e.index()) ? deadLetters.copy(e, letter) : null);
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
     * One send through the mode's producer. A stop may interrupt a send that the client blocks (waiting for metadata,
     * up to {@code max.block.ms}); the interrupt never outlives the send.
     */
    private void send(ProducerRecord<byte[], byte[]> record, Window.Slot slot) {
        sending.enter();
        try {
            mode.producer().send(record, slot);
        } catch (RuntimeException ex) { // the client refused before queueing, e.g. no metadata in max.block.ms
            slot.complete(ex);
        } finally {
            sending.exit();
        }
    }

    /**
     * Why publishing stopped for good (exactly-once only: fenced by another exporter with the same transactional id,
     * or no usable offsets topic), or {@code null} while it publishes.
     */
    public String stoppedReason() {
        return mode.stoppedReason();
    }

    /** After a stop was asked for: true while records wait for Kafka and the drain deadline has not passed. */
    private boolean draining() {
        return mode.stoppedReason() == null && System.nanoTime() - drainDeadline < 0
                && (!window.isEmpty() || journal.backlogRecords() > 0);
    }

    /** Running, or draining on stop. */
    private boolean active() {
        return running || draining();
    }

    /** Epoch milliseconds at which the oldest record still in flight was received, or 0 when none is in flight. */
    public long oldestUnacknowledgedReceivedAt() {
        return window.oldestReceivedAt();
    }

    /** True while sends fail and the publisher is retrying. */
    public boolean isFailing() {
        return backoff.failing();
    }

    /** Epoch milliseconds of the last time Kafka acknowledged a record (or of the start). */
    public long lastProgressAt() {
        return acknowledger.lastProgressAt();
    }

    /** False once the publisher's thread has ended while the publisher should be running. */
    public boolean isAlive() {
        Thread t = thread;
        return t == null || t.isAlive();
    }

    /** Records sent and not yet acknowledged. */
    public int inFlight() {
        return window.inFlight();
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
