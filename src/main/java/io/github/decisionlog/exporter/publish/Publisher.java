package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.github.decisionlog.exporter.journal.UndecodableEntryException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
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

    // the publisher thread's own
    private Producer<byte[], byte[]> producer;
    private Duration backoff;
    private boolean probing;
    private JournalEntry pending; // read, and waiting for room in the window
    private UndecodableEntryException pendingUndecodable;

    public Publisher(Journal journal, KafkaTemplate<byte[], byte[]> kafka, ExporterProperties properties,
            MeterRegistry registry) {
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
    }

    @Override
    public void start() {
        stopping = false;
        drainLeft = 0;
        running = true;
        Thread t = new Thread(this::run, "publisher");
        window.owner(t);
        thread = t;
        t.start();
    }

    private void run() {
        try (JournalReader reader = journal.reader()) {
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
            if (!window.fits(size, probing)) {
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

    /** After a stop was asked for: true while records wait for Kafka and the drain deadline has not passed. */
    private boolean draining() {
        return System.nanoTime() - drainDeadline < 0 && (!window.isEmpty() || journal.backlogRecords() > 0);
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
