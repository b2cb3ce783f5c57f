package io.github.decisionlog.exporter.ingest;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

/**
 * Logs at most one warning per key and interval, and says how many were held back in between, so that a producer
 * sending garbage in a loop cannot flood the log.
 */
public final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong suppressed = new AtomicLong();
    }

    public RateLimitedLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    public void warn(String key, String format, Object... args) {
        Window w = windows.computeIfAbsent(key, k -> new Window());
        long now = System.nanoTime();
        long next = w.nextAllowed.get();
        if ((next != Long.MIN_VALUE && now - next < 0) || !w.nextAllowed.compareAndSet(next, now + intervalNanos)) {
            w.suppressed.incrementAndGet();
            return;
        }
        long held = w.suppressed.getAndSet(0);
        if (held > 0) {
            log.warn(format + " ({} more like it since the last such line)", append(args, held));
        } else {
            log.warn(format, args);
        }
    }

    private static Object[] append(Object[] args, Object last) {
        Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = last;
        return all;
    }
}
