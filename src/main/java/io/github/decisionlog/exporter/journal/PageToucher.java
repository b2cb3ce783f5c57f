package io.github.decisionlog.exporter.journal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Touches the pages of the journal's current file ahead of the appender, on a thread of its own. Without it the
 * appender takes a page fault on every new page of the memory-mapped file (the kernel allocates and zeroes the page),
 * and it does so under the append lock that every connection shares: more than half of the ingest threads' time.
 * Chronicle's own pretoucher is an Enterprise feature.
 * <p>
 * The pages are touched through the queue's own mapping of the file (the store's {@link MappedBytes} share the
 * appender's mapped chunks), so the appender finds them in its address space: a range at a time with
 * {@link PopulateWrite} where the kernel has it, else a page at a time by a compare-and-swap of 0 with 0. Neither
 * changes a byte, whatever the appender wrote there first. It touches only while the disk budget has room for
 * what it touches (those pages take disk space before any record is written into them), and lets the file go as soon
 * as its cycle has ended, so that an acknowledged file deleted at the end of its cycle frees its space.
 */
final class PageToucher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final SingleChronicleQueue queue;
    private final long ahead;
    private final LongSupplier appended;
    private final LongPredicate hasRoom;
    private final long pageSize = OS.pageSize();
    private final RateLimitedLog failures = new RateLimitedLog(log);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long touchedTo;
    // the toucher thread's own
    private SingleChronicleQueueStore store;
    private MappedBytes bytes;
    private int cycle = Integer.MIN_VALUE;
    private long appendedSeen = -1;
    private boolean populate = true; // until madvise fails: then page by page

    /**
     * @param ahead bytes past the appender's position to keep touched
     * @param appended how many records were appended so far: nothing is looked at while it stays the same
     * @param hasRoom whether the disk budget has room for so many more bytes
     */
    PageToucher(SingleChronicleQueue queue, long ahead, LongSupplier appended, LongPredicate hasRoom) {
        this.queue = queue;
        this.ahead = ahead;
        this.appended = appended;
        this.hasRoom = hasRoom;
        this.thread = new Thread(this::run, "journal-page-toucher");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                touchAhead();
            } catch (RuntimeException | Error e) {
                failures.warn("Journal page toucher: {}; appends fault their pages in themselves meanwhile",
                        e.toString());
                release();
            }
            LockSupport.parkNanos(PERIOD_NANOS);
        }
        release();
    }

    /** One round: touches up to {@code ahead} bytes past the appender's position in the current cycle's file. */
    void touchAhead() {
        int current = queue.cycle();
        if (current != cycle) {
            release(); // the cycle ended: its file may be deleted, and must not stay mapped
        }
        long seen = appended.getAsLong();
        if (seen == appendedSeen) {
            return;
        }
        appendedSeen = seen;
        if (bytes == null) {
            if (queue.lastCycle() != current) {
                return; // nothing appended in this cycle yet: the appender creates its file
            }
            store = queue.storeForCycle(current, queue.epoch(), false, null);
            if (store == null) {
                return;
            }
            bytes = store.bytes();
            cycle = current;
            touchedTo = 0;
        }
        long written = store.writePosition();
        long from = Math.max(touchedTo, written) / pageSize * pageSize;
        long to = written + ahead;
        // room for the whole stretch ahead, not only for what this round adds: near the cap the toucher stops while
        // the appender can still fill what was touched, so pages touched and never written cannot take the cap's room
        if (from >= to || !hasRoom.test(ahead)) {
            return;
        }
        for (long page = from; page < to && running; ) {
            bytes.compareAndSwapInt(page, 0, 0); // maps the block that holds the page, if need be, and touches it
            page += pageSize;
            if (populate && page < to) { // the rest of the range in that block in one call
                BytesStore<?, ?> block = bytes.bytesStore();
                long end = Math.min(to, block.safeLimit());
                if (end > page) {
                    if (PopulateWrite.range(block.addressForWrite(page), end - page)) {
                        page = end;
                    } else {
                        populate = false;
                        log.info("Journal pages are touched one by one: madvise(MADV_POPULATE_WRITE) failed");
                    }
                }
            }
        }
        touchedTo = to;
    }

    /** How far the current file is touched, for tests. */
    long touchedTo() {
        return touchedTo;
    }

    private void release() {
        MappedBytes b = bytes;
        SingleChronicleQueueStore s = store;
        bytes = null;
        store = null;
        cycle = Integer.MIN_VALUE;
        touchedTo = 0;
        if (b != null) {
            b.releaseLast();
        }
        if (s != null) {
            queue.closeStore(s);
        }
    }

    /** Stops the thread and lets its file go; called before the queue closes. */
    @Override
    public void close() {
        running = false;
        if (!thread.isAlive()) {
            release(); // never started (or ended): the caller's thread lets the file go
            return;
        }
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
