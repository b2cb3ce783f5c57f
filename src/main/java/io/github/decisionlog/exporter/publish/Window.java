package io.github.decisionlog.exporter.publish;

import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The records sent and not yet settled, in journal order, bounded in records and in bytes. The byte bound keeps the
 * window below the producer's {@code buffer.memory}, so that {@code send} never waits for room in the producer's
 * buffer. Slots are added and removed on the publisher's thread only; the producer's I/O thread settles them.
 */
final class Window {

    /** Counted for each record besides its journal entry: the Kafka record's and its batch's own overhead. */
    static final int RECORD_OVERHEAD = 128;

    /**
     * Where a slot's record goes when it is not the topic: the dead-letter topic (or nowhere: dropped).
     *
     * @param recordId the record's id, or {@code null} for an entry that could not be decoded
     * @param tag the reason as a metric tag: the refusal's exception, or {@code undecodable}
     * @param reason the reason in words, as the dead-letter copy's header has it
     * @param dropReason the {@code decisionlog.records.dropped} reason if the record cannot be kept
     */
    record DeadLetter(String recordId, String tag, String reason, String dropReason) {
    }

    /** One record sent and not yet settled. */
    final class Slot implements Callback {
        final long index;
        final long receivedAt;
        final int size;
        final int bytes;
        final PublishMeters.Source meters;
        final DeadLetter deadLetter;
        /** A dead letter with no dead-letter topic: counted and logged as dropped once acknowledged. */
        boolean dropped;
        volatile boolean done;
        volatile Throwable error;

        Slot(long index, long receivedAt, int size, PublishMeters.Source meters, DeadLetter deadLetter) {
            this.index = index;
            this.receivedAt = receivedAt;
            this.size = size;
            this.bytes = size + RECORD_OVERHEAD;
            this.meters = meters;
            this.deadLetter = deadLetter;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception ex) {
            complete(ex);
        }

        void complete(Throwable ex) {
            if (ex != null) {
                error = ex;
                failed = true;
            }
            done = true;
            LockSupport.unpark(owner);
        }
    }

    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private final int maxRecords;
    private final long maxBytes;
    private long bytes;
    private boolean alone; // after a failure: one record at a time until Kafka acknowledges one
    private volatile boolean failed;
    private volatile Thread owner;
    // published for other threads (gauges, health)
    private volatile int inFlight;
    private volatile long oldestReceivedAt;

    Window(int maxRecords, long maxBytes) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
    }

    /** The thread woken when a slot settles. */
    void owner(Thread thread) {
        owner = thread;
    }

    /**
     * True if a record of {@code size} journal bytes may be sent now: always into an empty window (a record larger
     * than the byte bound is sent alone), else while both bounds hold; after {@link #sendAlone}, only into an empty
     * window.
     */
    boolean fits(int size) {
        if (slots.isEmpty()) {
            return true;
        }
        return !alone && slots.size() < maxRecords && bytes + size + RECORD_OVERHEAD <= maxBytes;
    }

    /**
     * After a failure: the records are sent one at a time until Kafka acknowledges one, so that a record the broker
     * refuses fails on its own instead of taking a batch down with it.
     */
    void sendAlone() {
        alone = true;
    }

    /** True from {@link #sendAlone} until a record is acknowledged. */
    boolean sendsAlone() {
        return alone;
    }

    Slot add(long index, long receivedAt, int size, PublishMeters.Source meters, DeadLetter deadLetter) {
        Slot slot = new Slot(index, receivedAt, size, meters, deadLetter);
        slots.add(slot);
        bytes += slot.bytes;
        return slot;
    }

    /** The oldest slot, or {@code null}. */
    Slot head() {
        return slots.peek();
    }

    /** Removes the oldest slot, once it is acknowledged. */
    Slot poll() {
        Slot slot = slots.poll();
        if (slot != null) {
            bytes -= slot.bytes;
            alone = false;
        }
        return slot;
    }

    /** True once a send failed, until {@link #clear}. */
    boolean failed() {
        return failed;
    }

    /** The newest slot, or {@code null}. */
    Slot last() {
        return slots.peekLast();
    }

    /** The first failed slot, or {@code null}. */
    Slot firstFailed() {
        for (Slot slot : slots) {
            if (slot.error != null) {
                return slot;
            }
        }
        return null;
    }

    /** True if any slot failed with an error that {@code test} accepts. */
    boolean anyError(java.util.function.Predicate<Throwable> test) {
        for (Slot slot : slots) {
            Throwable e = slot.error;
            if (e != null && test.test(e)) {
                return true;
            }
        }
        return false;
    }

    /** True when no send is outstanding: every slot has succeeded or failed. */
    boolean settled() {
        for (Slot slot : slots) {
            if (!slot.done) {
                return false;
            }
        }
        return true;
    }

    /**
     * Forgets every slot and the failure; what was not acknowledged is read again from the journal. The oldest
     * record still waits, so its age keeps counting until it is sent again.
     */
    void clear() {
        Slot head = slots.peek();
        if (head != null) {
            oldestReceivedAt = head.receivedAt;
        }
        slots.clear();
        bytes = 0;
        failed = false;
        inFlight = 0;
    }

    /** Shows the window as it is now to other threads: {@link #inFlight}, {@link #oldestReceivedAt}. */
    void publishGauges() {
        Slot head = slots.peek();
        inFlight = slots.size();
        oldestReceivedAt = head != null ? head.receivedAt : 0;
    }

    /** Records sent and not yet acknowledged, as last published. */
    int inFlight() {
        return inFlight;
    }

    /** Epoch milliseconds at which the oldest record in flight was received, or 0; as last published. */
    long oldestReceivedAt() {
        return oldestReceivedAt;
    }

    boolean isEmpty() {
        return slots.isEmpty();
    }

    int size() {
        return slots.size();
    }

    long bytes() {
        return bytes;
    }

    long maxBytes() {
        return maxBytes;
    }
}
