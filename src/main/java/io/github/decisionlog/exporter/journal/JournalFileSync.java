package io.github.decisionlog.exporter.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Forces the journal's cycle files onto the disk with fsync. Chronicle's own sync (msync) would need the queue built
 * with {@code SyncMode.SYNC}, which also msyncs every block when it is unmapped: with {@code sync: none} that cost
 * about a third of a core at 160k records/s, for a promise {@code none} does not make. fsync of a file covers every
 * page written through any mapping of it, so a sync also covers blocks that were unmapped since the last one. Every
 * cycle file written to since the last sync is synced, also when the cycle rolled in between.
 */
final class JournalFileSync implements AutoCloseable {

    private File file;
    private FileChannel channel;
    private FileChannel previous; // the file before a roll, written to since the last sync

    /** Notes the file the last append went to; cheap when it is the same as before. */
    void written(File current) {
        if (current == file || current.equals(file)) {
            return;
        }
        try {
            if (previous != null) { // two rolls since the last sync: finish the older file now
                forceAndClose(previous);
            }
            previous = channel;
            channel = FileChannel.open(current.toPath(), StandardOpenOption.READ);
            file = current;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the journal file " + current + " to sync it", e);
        }
    }

    /** Forces everything written since the last call onto the disk. */
    void force() {
        try {
            if (previous != null) {
                forceAndClose(previous);
                previous = null;
            }
            if (channel != null) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync the journal file " + file, e);
        }
    }

    private static void forceAndClose(FileChannel c) throws IOException {
        try (c) {
            c.force(false);
        }
    }

    @Override
    public void close() {
        for (FileChannel c : new FileChannel[] {previous, channel}) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // only a read handle; nothing is lost
                }
            }
        }
        previous = null;
        channel = null;
        file = null;
    }
}
