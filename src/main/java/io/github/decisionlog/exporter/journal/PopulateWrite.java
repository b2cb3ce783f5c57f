package io.github.decisionlog.exporter.journal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * madvise(2) with MADV_POPULATE_WRITE (Linux 5.14 and later): makes the pages of a range of a shared file mapping
 * present and writable in one call, as writing each would, without writing to them. On this project's build machine
 * that is 0.65 µs a page against 2 to 6.5 µs for a fault taken by touching each page. Where it is missing (an older
 * kernel, no libc through JNA) {@link #range} says so and the caller touches the pages one by one.
 */
final class PopulateWrite {

    private static final Logger log = LoggerFactory.getLogger(PopulateWrite.class);
    private static final int MADV_POPULATE_WRITE = 23;

    private interface LibC extends Library {
        int madvise(Pointer address, long length, int advice);
    }

    private static final LibC LIBC = load();

    private PopulateWrite() {
    }

    private static LibC load() {
        try {
            return Native.load("c", LibC.class);
        } catch (RuntimeException | LinkageError e) {
            log.info("madvise(2) is not available ({}); the journal's pages are touched one by one", e.toString());
            return null;
        }
    }

    /**
     * Makes the pages of {@code length} bytes from {@code address} (page aligned, in a shared file mapping) present
     * and writable; false if that cannot be done here, or failed (no room on the file system, say).
     */
    static boolean range(long address, long length) {
        return LIBC != null && LIBC.madvise(new Pointer(address), length, MADV_POPULATE_WRITE) == 0;
    }
}
