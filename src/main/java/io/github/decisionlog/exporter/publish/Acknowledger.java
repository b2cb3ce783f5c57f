package io.github.decisionlog.exporter.publish;

import io.github.decisionlog.exporter.journal.Journal;

/**
 * Moves the journal's acknowledged position over the unbroken run of settled records at the head of the window:
 * acknowledged by Kafka (with exactly-once, committed), dead-lettered, or dropped. A failed record stops it, so the
 * position never passes a record that did not reach Kafka. Used from the publisher's thread;
 * {@link #lastProgressAt} is read by health.
 */
final class Acknowledger {

    private final Journal journal;
    private final Window window;
    private final DeadLetters deadLetters;
    private final Backoff backoff;
    private volatile long lastProgressAt = System.currentTimeMillis();

    Acknowledger(Journal journal, Window window, DeadLetters deadLetters, Backoff backoff) {
        this.journal = journal;
        this.window = window;
        this.deadLetters = deadLetters;
        this.backoff = backoff;
    }

    /** Acknowledges the settled head of the window; true if the position moved. */
    boolean acknowledgeHead() {
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
            journal.acknowledge(last, count, bytes);
            lastProgressAt = now;
            backoff.succeeded(journal.backlogRecords());
        }
        window.publishGauges();
        return count > 0;
    }

    /** Epoch milliseconds of the last time Kafka acknowledged a record (or of the start). */
    long lastProgressAt() {
        return lastProgressAt;
    }
}
