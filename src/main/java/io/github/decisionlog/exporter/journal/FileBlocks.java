package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes a directory tree takes on disk, as {@code du} counts them: the blocks allocated to each file and
 * directory ({@code st_blocks} of stat(2), through JNA, which Chronicle already brings). Chronicle grows a cycle file
 * ahead of what it writes and never shrinks it, so a file's length says little about its size on disk: a new cycle
 * file is 10 MiB long and takes a few KiB. Where stat cannot be called, each file counts by its length rounded up to
 * 4 KiB pages, which is never less than what it takes.
 */
final class FileBlocks {

    private static final Logger log = LoggerFactory.getLogger(FileBlocks.class);
    private static final RateLimitedLog measureFailures = new RateLimitedLog(log);
    private static final long PAGE = 4096;
    /** st_blocks in struct stat of Linux on x86_64 and on aarch64 (the generic layout): 512-byte units. */
    private static final int ST_BLOCKS_OFFSET = 64;
    private static final int STAT_SIZE = 256; // larger than struct stat on either

    private static final LibC LIBC = withStat();

    private FileBlocks() {
    }

    /** The C library if stat(2) can be called through it, else {@code null}. */
    private static LibC withStat() {
        LibC libc = LibC.INSTANCE;
        if (libc == null) {
            return null;
        }
        try {
            libc.stat(".", new byte[STAT_SIZE]);
            return libc;
        } catch (RuntimeException | LinkageError e) {
            log.info("stat(2) is not available ({}); the journal's size on disk is estimated from file lengths",
                    e.toString());
            return null;
        }
    }

    /** Bytes the tree under {@code dir} takes on disk; files that vanish while it is walked are skipped. */
    static long underDirectory(Path dir) {
        long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    total[0] += of(d, attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    total[0] += of(file, attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // deleted between listing and reading: it takes nothing now
                }
            });
        } catch (IOException e) {
            measureFailures.warn("Cannot measure the journal at {}: {}", dir, e.toString());
        }
        return total[0];
    }

    private static long of(Path path, BasicFileAttributes attrs) {
        if (LIBC != null) {
            byte[] buf = new byte[STAT_SIZE];
            if (LIBC.stat(path.toString(), buf) == 0) {
                long blocks = 0;
                for (int i = 7; i >= 0; i--) { // little-endian, as on both
                    blocks = (blocks << 8) | (buf[ST_BLOCKS_OFFSET + i] & 0xff);
                }
                return blocks * 512;
            }
        }
        return (attrs.size() + PAGE - 1) / PAGE * PAGE;
    }
}
