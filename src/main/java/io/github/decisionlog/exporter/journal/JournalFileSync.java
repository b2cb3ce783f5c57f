package io.github.decisionlog.exporter.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Forces the journal's cycle files onto the disk with fsync. Chronicle's own sync (msync) would need the queue built
 * with {@code SyncMode.SYNC}, which also msyncs every 16 MiB chunk when it is unmapped: with {@code sync: none} that
 * cost about a third of a core at 160k records/s, for a promise {@code none} does not make. fsync of the file covers
 * every page written through any mapping of it, so a sync also covers chunks that were unmapped since the last one.
 */
final class JournalFileSync implements AutoCloseable {

    private File file;
    private FileChannel channel;

    /** Forces everything written to {@code current} (and to the file before it, after a roll) onto the disk. */
    void force(File current) {
        try {
            if (channel != null && !current.equals(file)) {
                channel.force(false); // the cycle rolled: finish the previous file
                channel.close();
                channel = null;
            }
            if (channel == null) {
                channel = FileChannel.open(current.toPath(), StandardOpenOption.READ);
                file = current;
            }
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync the journal file " + current, e);
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // only a read handle; nothing is lost
            }
            channel = null;
        }
    }
}
