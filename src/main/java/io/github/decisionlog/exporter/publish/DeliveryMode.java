package io.github.decisionlog.exporter.publish;

import org.apache.kafka.clients.producer.Producer;

/**
 * How Kafka's acknowledgement reaches the journal: which producer a send goes through, when the journal's
 * acknowledged position moves, and how a failure rewinds. The publisher's run loop (read, send, settle, drain) is the
 * same for both modes: {@link AtLeastOnce} and {@link ExactlyOnce}. Used from the publisher's thread, but
 * {@link #stoppedReason}.
 */
interface DeliveryMode {

    /** At the publisher's start, before its thread: what must be right before anything is sent. */
    default void start() {
    }

    /** Before the first send: places the cursor. False if publishing does not begin (stopping, stopped for good). */
    boolean begin(JournalCursor cursor);

    /** The producer for the next send (with exactly-once, in the open transaction, begun if none is). */
    Producer<byte[], byte[]> producer();

    /** True while the window may take another record in this mode. */
    boolean takesMore(Window window);

    /**
     * After a turn of sends: acknowledges what Kafka settled, as far as the mode allows.
     *
     * @param sent whether the turn sent anything
     * @param stopping whether a stop is under way (the journal then only shrinks)
     * @return true if anything moved
     */
    boolean settle(JournalCursor cursor, boolean sent, boolean stopping);

    /** A send failed: keeps what counts, rewinds the cursor, and waits the backoff if a retry needs one. */
    void recover(JournalCursor cursor);

    /** The drain has ended: gives the sends in flight a bounded time, and keeps what Kafka acknowledged. */
    void finish(JournalCursor cursor);

    /** Why publishing stopped for good, or {@code null} while it publishes. Read by other threads. */
    default String stoppedReason() {
        return null;
    }
}
