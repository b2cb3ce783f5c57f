package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * An exclusive {@code flock(2)} on a file, taken without waiting. Gatekeeper locks admission segments with
 * {@code flock}, which Java's {@code FileChannel.lock} (an {@code fcntl} record lock) does not see on Linux, so the
 * call goes to libc through JNA. The lock lives on a descriptor of its own and is released by {@link #close}.
 */
final class NativeFlock implements AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int ENOENT = 2;
    private static final int EINTR = 4;
    private static final int EWOULDBLOCK = 11; // Linux (EAGAIN)

    private interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int flock(int fd, int operation) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private final int fd;

    private NativeFlock(int fd) {
        this.fd = fd;
    }

    /** Loads the C library now rather than on the first lock. */
    static void load() {
        Objects.requireNonNull(Holder.LIBC);
    }

    /**
     * Locks {@code file} exclusively if nobody else holds a lock on it.
     *
     * @return the lock, or {@code null} when another process holds one
     * @throws NoSuchFileException when the file is gone
     */
    static NativeFlock tryExclusive(Path file) throws IOException {
        LibC libc = Holder.LIBC;
        int fd;
        try {
            fd = libc.open(file.toString(), O_RDONLY);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENOENT) {
                throw new NoSuchFileException(file.toString());
            }
            throw new IOException("open " + file + ": errno " + e.getErrorCode(), e);
        }
        while (true) {
            try {
                libc.flock(fd, LOCK_EX | LOCK_NB);
                return new NativeFlock(fd);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) {
                    continue;
                }
                closeQuietly(fd);
                if (e.getErrorCode() == EWOULDBLOCK) {
                    return null;
                }
                throw new IOException("flock " + file + ": errno " + e.getErrorCode(), e);
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(fd); // closing the last descriptor of the open file releases the flock
    }

    private static void closeQuietly(int fd) {
        try {
            Holder.LIBC.close(fd);
        } catch (LastErrorException ignored) {
            // nothing left to release
        }
    }
}
