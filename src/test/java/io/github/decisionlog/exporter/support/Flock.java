package io.github.decisionlog.exporter.support;

import java.nio.file.Path;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/** A native {@code flock(2)} held by the test, the way Gatekeeper (Go's {@code syscall.Flock}) holds one. */
public final class Flock implements AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;

    private interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int open(String path, int flags) throws LastErrorException;

        int flock(int fd, int operation) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private final int fd;
    private boolean released;

    private Flock(int fd) {
        this.fd = fd;
    }

    /** Takes an exclusive lock on {@code file}; fails at once if anyone else holds one. */
    public static Flock exclusive(Path file) {
        int fd = LibC.INSTANCE.open(file.toString(), O_RDONLY);
        try {
            LibC.INSTANCE.flock(fd, LOCK_EX | LOCK_NB);
        } catch (LastErrorException e) {
            LibC.INSTANCE.close(fd);
            throw e;
        }
        return new Flock(fd);
    }

    @Override
    public void close() {
        if (!released) {
            released = true;
            LibC.INSTANCE.close(fd);
        }
    }
}
