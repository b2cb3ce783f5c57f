package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

/**
 * Tails the journal from the acknowledged position and sends every record to Kafka, keeping at most
 * {@code max-in-flight} unacknowledged. The acknowledged position moves only over the unbroken run of acknowledged
 * records at the head of the window. When a send fails, the window is let to settle, and everything after the
 * acknowledged position is sent again after a doubling, capped, wait: records that had already reached Kafka become
 * duplicates with the same record id, and nothing is lost.
 */
@Component
public class Publisher implements SmartLifecycle {

    public static final int PHASE = 100;

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int SENDS_PER_TURN = 512;

    private final Journal journal;
    private final KafkaTemplate<byte[], byte[]> kafka;
    private final ExporterProperties.Publish settings;
    private final KafkaRecords records;
    private final DeadLetters deadLetters;
    private final PublishMeters meters;
    private final Counter skippedRejects;
    private final ArrayDeque<Send> window = new ArrayDeque<>();

    // read by other threads (lifecycle, callbacks, gauges, health)
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Throwable failure;
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
    private long poisonIndex = Journal.NO_RECORD;
    private int poisonAttempts;

    public Publisher(Journal journal, KafkaTemplate<byte[], byte[]> kafka, ExporterProperties properties,
            MeterRegistry registry) {
        this.journal = journal;
        this.kafka = kafka;
        this.settings = properties.publish();
        this.records = new KafkaRecords(settings);
        this.backoff = settings.retryInitialBackoff();
        this.deadLetters = new DeadLetters(kafka, records, settings, registry);
        this.meters = new PublishMeters(registry);
        this.skippedRejects = Counter.builder("decisionlog.records.dropped").tag("reason", "no_rejects_topic")
                .description("Journaled rejects skipped because exporter.publish.rejects-topic is no longer set")
                .register(registry);
    }

    /** One record sent and not yet settled. Completed on the producer's I/O thread, read on the publisher's. */
    private final class Send implements Callback {
        final long index;
        final long receivedAt;
        final int size;
        final PublishMeters.Source meters;
        volatile boolean done;
        volatile Throwable error;

        Send(long index, long receivedAt, int size, PublishMeters.Source meters) {
            this.index = index;
            this.receivedAt = receivedAt;
            this.size = size;
            this.meters = meters;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception ex) {
            complete(ex);
        }

        void complete(Throwable ex) {
            if (ex != null) {
                error = ex;
                if (failure == null) {
                    failure = ex;
                }
            }
            done = true;
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void start() {
        stopping = false;
        drainLeft = 0;
        running = true;
        Thread t = new Thread(this::run, "publisher");
        thread = t;
        t.start();
    }

    private void run() {
        try (JournalReader reader = journal.reader()) {
            while (running || draining()) {
                if (failure != null) {
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

    private boolean fill(JournalReader reader) {
        int sent = 0;
        int limit = probing ? 1 : settings.maxInFlight();
        while (window.size() < limit && sent < SENDS_PER_TURN && failure == null) {
            JournalEntry entry = reader.next();
            if (entry == null) {
                break;
            }
            ProducerRecord<byte[], byte[]> record = records.toRecord(entry);
            // a skipped reject is acknowledged like the rest, but not counted as published
            Send send = new Send(entry.index(), entry.receivedAtMillis(), entry.size(),
                    record == null ? null : meters.source(entry.meta().source()));
            window.add(send);
            try {
                if (record == null) {
                    skippedRejects.increment(); // refused at ingest while a rejects topic was set; none is now
                    send.complete(null);
                } else {
                    producer().send(record, send);
                }
            } catch (RuntimeException ex) { // the client refused before queueing, e.g. no metadata in max.block.ms
                send.complete(ex);
            }
            sent++;
        }
        updateGauges();
        return sent > 0;
    }

    /**
     * The Kafka producer itself, shared through the template's factory: per record the template would add a future,
     * a listener call and a timer sample, which the publisher does not need (it has its own window and metrics).
     */
    private Producer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = kafka.getProducerFactory().createProducer();
        }
        return producer;
    }

    /** Moves the acknowledged position over the acknowledged head of the window. */
    private boolean advance() {
        int count = 0;
        long bytes = 0;
        long last = 0;
        long now = System.currentTimeMillis();
        Send head;
        while ((head = window.peek()) != null && head.done && head.error == null) {
            window.poll();
            last = head.index;
            bytes += head.size;
            if (head.meters != null) {
                head.meters.acknowledged(head.receivedAt, now);
            }
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
     * then go back to the acknowledged position and send the rest again after the backoff. A record that Kafka refuses
     * for good, again and again, goes to the dead-letter topic so it cannot hold up the records behind it.
     */
    private void recover(JournalReader reader) {
        while (active() && window.stream().anyMatch(s -> !s.done)) {
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        advance();
        Throwable cause = failure;
        Send head = window.peek();
        meters.failed(reason(cause));
        long oldest = head != null ? head.receivedAt : oldestUnacknowledgedAt;
        window.clear();
        inFlight = 0;
        oldestUnacknowledgedAt = oldest; // still waiting, so the backlog keeps ageing during the backoff
        reader.rewind();
        producer = null; // ask the factory again: it replaces a producer that a fatal error closed
        // the next attempt sends the first unacknowledged record alone: a record the broker refuses then fails on
        // its own, instead of taking a whole batch down with it
        probing = true;
        if (head != null && head.error != null && DeadLetters.isPoison(head.error) && tryDeadLetter(reader, head)) {
            failure = null;
            return;
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
        failure = null;
    }

    /** Counts the attempts of a refused record; at the last one, dead-letters it and moves past it. */
    private boolean tryDeadLetter(JournalReader reader, Send head) {
        if (head.index != poisonIndex) {
            poisonIndex = head.index;
            poisonAttempts = 0;
        }
        if (++poisonAttempts < settings.poisonAttempts()) {
            return false;
        }
        JournalEntry entry = reader.next();
        if (entry == null || entry.index() != head.index || !deadLetters.handle(entry, head.error)) {
            reader.rewind();
            return false;
        }
        journal.acknowledge(entry.index(), 1, entry.size());
        poisonIndex = Journal.NO_RECORD;
        reader.rewind();
        return true;
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
        while (!window.isEmpty() && failure == null && System.nanoTime() - deadline < 0) {
            advance();
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        advance();
    }

    private void updateGauges() {
        Send head = window.peek();
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
     * sends in flight. One log line says what was sent and what was left.
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
        try {
            t.join(settings.drainTimeout().plus(settings.closeTimeout()).toMillis() + 5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    @Override
    public boolean isRunning() {
        return thread != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
