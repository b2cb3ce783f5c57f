package io.github.decisionlog.exporter.publish;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets a stop wake the publisher's thread from a send that the Kafka client blocks (waiting for metadata, up to
 * {@code max.block.ms}), by an interrupt that lands only while the thread is inside the send and never outlives it:
 * an interrupt elsewhere could reach the journal's file channels, which an interrupt closes.
 */
final class InterruptibleSend {

    private static final int OUTSIDE = 0;
    private static final int INSIDE = 1;
    private static final int WAKING = 2;
    private static final int WOKEN = 3;

    private final AtomicInteger state = new AtomicInteger();

    /** The publisher's thread is about to call the client. */
    void enter() {
        state.set(INSIDE);
    }

    /** The publisher's thread is back from the client: an interrupt meant for the send is cleared. */
    void exit() {
        if (!state.compareAndSet(INSIDE, OUTSIDE)) {
            while (state.get() == WAKING) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
            state.set(OUTSIDE);
        }
    }

    /** Interrupts {@code publisher} if it is inside a send, once per send. */
    void wake(Thread publisher) {
        if (state.compareAndSet(INSIDE, WAKING)) {
            publisher.interrupt();
            state.set(WOKEN);
        }
    }
}
