package io.github.decisionlog.exporter.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Forces the journal's cycle files onto the disk with fsync. Chronicle's own sync (msync) would need the queue built
 * with {@code SyncMode.SYNC}, which also msyncs every block when it is unmapped: with {@code sync: none} that cost
 * about a third of a core at 160k records/s, for a promise {@code none} does not make. fsync of a file covers every
 * page written through any mapping of it, so a sync also covers blocks that were unmapped since the last one. Every
 * cycle file written to since the last sync is synced, also when the cycle rolled in between, and so is the queue
 * directory once a new file appeared in it: its entry in the directory is not on disk before that.
 * <p>
 * A sync that fails is tried again whole by the next one: a channel that failed (an interrupt closes it) is opened
 * again, a rolled-away file stays to be synced, and the directory stays to be synced. Callers serialise calls.
 */
final class JournalFileSync implements AutoCloseable {

    private final Path dir;
    private File file;
    private FileChannel channel; // null when it has to be opened again
    private final List<File> rolledAway = new ArrayList<>(2); // written to since the last sync, before a roll
    private boolean directoryChanged;
    private long directorySyncs;

    JournalFileSync(Path dir) {
        this.dir = dir;
    }

    /** Notes the file the last append went to; cheap when it is the same as before. */
    void written(File current) {
        if (current == file || current.equals(file)) {
            return;
        }
        if (file != null) {
            rolledAway.add(file);
        }
        closeChannel();
        file = current;
        directoryChanged = true; // a new file, or the first of this run
    }

    /** Forces everything written since the last successful call onto the disk. */
    void force() {
        File syncing = null;
        try {
            while (!rolledAway.isEmpty()) {
                syncing = rolledAway.get(0);
                forceFile(syncing);
                rolledAway.remove(0);
            }
            if (file != null && channel == null) {
                syncing = file;
                try {
                    channel = FileChannel.open(file.toPath(), StandardOpenOption.READ);
                } catch (NoSuchFileException deleted) {
                    file = null; // all acknowledged and deleted: the next append starts a new file
                }
            }
            if (channel != null) {
                syncing = file;
                channel.force(false);
            }
        } catch (IOException e) {
            closeChannel(); // opened again by the next sync
            throw new UncheckedIOException("cannot sync the journal file " + syncing + ": " + e, e);
        }
        if (directoryChanged) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync the journal directory " + dir + ": " + e, e);
            }
            directoryChanged = false;
            directorySyncs++;
        }
    }

    private static void forceFile(File f) throws IOException {
        try (FileChannel c = FileChannel.open(f.toPath(), StandardOpenOption.READ)) {
            c.force(false);
        } catch (NoSuchFileException deleted) {
            // its records were all acknowledged and the file deleted: nothing left to sync
        }
    }

    /** Times the directory was synced. */
    long directorySyncs() {
        return directorySyncs;
    }

    /** Closes the channel as an interrupted force would; the next sync has to open it again. For tests. */
    void closeChannelForTest() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // only a read handle; nothing is lost
            }
            channel = null;
        }
    }

    @Override
    public void close() {
        closeChannel();
        rolledAway.clear();
        file = null;
    }
}
