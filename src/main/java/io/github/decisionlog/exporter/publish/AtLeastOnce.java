package io.github.decisionlog.exporter.publish;

import org.apache.kafka.clients.producer.Producer;

import org.springframework.kafka.core.ProducerFactory;

/**
 * At-least-once delivery: an idempotent producer, and a record counts once Kafka acknowledged it. When a send fails,
 * what Kafka acknowledged before the first gap is kept, and everything after it is sent again after the backoff:
 * records that had reached Kafka become duplicates with the same record id, and nothing is lost.
 */
final class AtLeastOnce implements DeliveryMode {

    private final Publishing publishing;
    private final ProducerFactory<byte[], byte[]> producers;
    private Producer<byte[], byte[]> producer;

    AtLeastOnce(Publishing publishing, ProducerFactory<byte[], byte[]> producers) {
        this.publishing = publishing;
        this.producers = producers;
    }

    @Override
    public boolean begin(JournalCursor cursor) {
        return true; // the reader starts after the journal's acknowledged position
    }

    /**
     * The Kafka producer itself, shared through the template's factory (per record the template would add a future,
     * a listener call and a timer sample, which the publisher does not need).
     */
    @Override
    public Producer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = producers.createProducer();
        }
        return producer;
    }

    @Override
    public boolean takesMore(Window window) {
        return true;
    }

    @Override
    public boolean settle(JournalCursor cursor, boolean sent, boolean stopping) {
        return publishing.acknowledger().acknowledgeHead();
    }

    /**
     * Waits until every send in flight has settled, keeps what Kafka acknowledged before the first gap, then goes back
     * to the acknowledged position and sends the rest again after the backoff, the first record alone. One Kafka
     * refuses for good, {@code poison-attempts} times, goes to the dead letters at once, so that it cannot hold up the
     * records behind it.
     */
    @Override
    public void recover(JournalCursor cursor) {
        Window window = publishing.window();
        publishing.awaitSettled();
        publishing.acknowledger().acknowledgeHead();
        Window.Slot head = window.head();
        Window.Slot failed = window.firstFailed();
        window.clear();
        cursor.rewind();
        if (failed == null) { // only dead letters that their topic refused, and those are dropped
            return;
        }
        publishing.meters().failed(failed.error);
        producer = null; // ask the factory again: it replaces a producer that a fatal error closed
        window.sendAlone();
        DeadLetters deadLetters = publishing.deadLetters();
        if (head == failed && head.deadLetter != null) {
            deadLetters.failed(head, head.error);
        } else if (head == failed && deadLetters.refusedForGood(head)) {
            return; // no wait: Kafka works; the record goes to the dead letters when it is read again
        }
        publishing.backoff().failed(failed.error, "", publishing.journal().backlogRecords(), publishing.active());
    }

    /** Keeps acknowledging while sends in flight settle, for up to {@code close-timeout}. */
    @Override
    public void finish(JournalCursor cursor) {
        Window window = publishing.window();
        Waits.until(() -> {
            publishing.acknowledger().acknowledgeHead();
            return window.isEmpty() || window.failed();
        }, publishing.settings().closeTimeout());
        publishing.acknowledger().acknowledgeHead();
    }
}
