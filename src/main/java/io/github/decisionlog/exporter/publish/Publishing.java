package io.github.decisionlog.exporter.publish;

import java.util.function.BooleanSupplier;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;

/**
 * What the publisher's run loop shares with its {@link DeliveryMode}, all of it used from the publisher's thread.
 *
 * @param active true while the publisher runs, or drains on stop: waits end when it turns false
 */
record Publishing(ExporterProperties.Publish settings, Journal journal, Window window, DeadLetters deadLetters,
        PublishMeters meters, Backoff backoff, Acknowledger acknowledger, BooleanSupplier active) {

    boolean isActive() {
        return active.getAsBoolean();
    }

    /** Waits until no send of the window is outstanding, or until the publisher stops. */
    void awaitSettled() {
        while (isActive() && !window.settled()) {
            Waits.idle();
        }
    }
}
