package io.github.decisionlog.exporter.journal;

import com.sun.jna.Pointer;

/**
 * madvise(2) with MADV_POPULATE_WRITE (Linux 5.14 and later): makes the pages of a range of a shared file mapping
 * present and writable in one call, as writing each would, without writing to them. On this project's build machine
 * that is 0.65 µs a page against 2 to 6.5 µs for a fault taken by touching each page. Where it is missing (an older
 * kernel, no {@link LibC}) {@link #range} says so and the caller touches the pages one by one.
 */
final class PopulateWrite {

    private static final int MADV_POPULATE_WRITE = 23;

    private PopulateWrite() {
    }

    /**
     * Makes the pages of {@code length} bytes from {@code address} (page aligned, in a shared file mapping) present
     * and writable; false if that cannot be done here, or failed (no room on the file system, say).
     */
    static boolean range(long address, long length) {
        LibC libc = LibC.INSTANCE;
        return libc != null && libc.madvise(new Pointer(address), length, MADV_POPULATE_WRITE) == 0;
    }
}
