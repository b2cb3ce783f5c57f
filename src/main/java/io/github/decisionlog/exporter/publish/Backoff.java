package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait before records are sent again while Kafka fails: doubling from {@code retry-initial-backoff} up to {@code
 * retry-max-backoff}, and back to the start once Kafka acknowledges records again. An outage is two log lines (lost,
 * back), not one per attempt. Used from the publisher's thread; {@link #failing} is read by health.
 */
final class Backoff {

    private static final Logger log = LoggerFactory.getLogger(Backoff.class);

    private final Duration initial;
    private final Duration max;
    private Duration next;
    private volatile boolean failing;

    Backoff(Duration initial, Duration max) {
        this.initial = initial;
        this.max = max;
        this.next = initial;
    }

    /**
     * Says that sending failed (once per outage at WARN), then waits the backoff while {@code keepWaiting} holds.
     *
     * @param what what was given up, for the log line (empty, or for instance "the transaction was aborted; ")
     */
    void failed(Throwable cause, String what, long backlog, BooleanSupplier keepWaiting) {
        String described = cause == null ? "unknown" : DeadLetters.describe(cause);
        if (!failing) {
            failing = true;
            log.warn("Sending to Kafka failed ({}); {}{} records wait in the journal; retrying with a backoff of up to "
                    + "{} s", described, what, backlog, max.toSeconds());
        } else {
            log.debug("Sending to Kafka failed again: {}", described);
        }
        Waits.until(() -> !keepWaiting.getAsBoolean(), next);
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
    }

    /** Kafka acknowledged records: the next failure waits the initial backoff again. */
    void succeeded(long backlog) {
        if (failing) {
            failing = false;
            log.info("Kafka accepts records again; {} records wait in the journal", backlog);
        }
        next = initial;
    }

    /** Publishing stopped for good: nothing is retried, so nothing is failing. */
    void stopped() {
        failing = false;
    }

    /** True from a failure until Kafka acknowledges records again. */
    boolean failing() {
        return failing;
    }
}
