package io.github.decisionlog.exporter.publish;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Bounded waits of the publisher's thread. It parks: a send that settles unparks it (see {@link Window.Slot}), and so
 * does a stop; it also looks again every millisecond, for conditions that change without waking it (a deadline).
 */
final class Waits {

    static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private Waits() {
    }

    /** Waits until {@code done} holds or {@code timeout} has passed; true if it holds. */
    static boolean until(BooleanSupplier done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long left;
        while (!done.getAsBoolean()) {
            if ((left = deadline - System.nanoTime()) <= 0) {
                return false;
            }
            LockSupport.parkNanos(Math.min(left, STEP_NANOS));
        }
        return true;
    }

    /** A short park when a turn found nothing to do. */
    static void idle() {
        LockSupport.parkNanos(STEP_NANOS);
    }
}
