package io.github.decisionlog.exporter.journal;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;

/**
 * A warning that may repeat every few milliseconds (a failing disk seen by a timer) logged at most once per interval:
 * the first at once, then one line per interval that says how many more there were.
 */
final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private boolean logged; // guarded by this
    private long loggedAt; // guarded by this
    private long leftOut; // guarded by this

    RateLimitedLog(Logger log, long intervalMillis, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.nanoClock = nanoClock;
    }

    /** One line a minute. */
    RateLimitedLog(Logger log) {
        this(log, 60_000, System::nanoTime);
    }

    void warn(String format, Object... args) {
        long left;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            if (logged && now - loggedAt < intervalNanos) {
                leftOut++;
                return;
            }
            left = leftOut;
            logged = true;
            loggedAt = now;
            leftOut = 0;
        }
        if (left == 0) {
            log.warn(format, args);
        } else {
            log.warn(format + " (and " + left + " more like it in the last "
                    + TimeUnit.NANOSECONDS.toSeconds(intervalNanos) + " s)", args);
        }
    }
}
