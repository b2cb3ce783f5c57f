package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A file of Gatekeeper's disk export driver to read: an audit run or an admission segment that Gatekeeper renamed to
 * {@code .log} (admission segments it recovered after a crash end in {@code .recovered.log}), or an audit run's
 * {@code .txt} that its writer left behind when it died mid-run (an orphan). Admission segments being written
 * ({@code .open}) and files Gatekeeper is removing ({@code .deleting}) are never listed, so they are never opened; a
 * {@code .txt} is listed only once a newer run or its quiet time marks it as a candidate orphan, and is read only if its
 * writer's lock is free.
 *
 * @param path where the file is
 * @param channel the channel directory it is in
 * @param kind audit run or admission segment
 * @param modifiedMillis its modification time, which is about when Gatekeeper finished it
 * @param stamp identifies this very file (inode, size, time), to recognise it in a later listing
 * @param orphan whether it is an audit run's {@code .txt} that Gatekeeper never finished
 */
record ExportFile(Path path, String channel, Kind kind, long modifiedMillis, String stamp, boolean orphan) {

    static final String FINISHED = ".log";
    static final String UNFINISHED_RUN = ".txt";
    static final String DELETING = ".deleting";
    static final String ADMISSION_PREFIX = "admission-";

    /** What the file holds; its {@link #source} is the {@code source} header of its records. */
    enum Kind {
        AUDIT("audit"), ADMISSION("admission");

        final String source;

        Kind(String source) {
            this.source = source;
        }
    }

    String name() {
        return path.getFileName().toString();
    }

    /** {@code <channel>/<file name>}, the start of each of its records' ids. */
    String displayName() {
        return channel + '/' + name();
    }

    /**
     * The finished files of one channel directory, and the {@code .txt} files of audit runs that {@code orphanAfter}
     * or a newer run marks as left behind, in the order they are read: audit runs in run order (the name is the run
     * id, which sorts by time), then admission segments oldest first (the name starts with a fixed-width UTC time). A
     * directory that does not exist yet has no files.
     *
     * @param nowMillis the current time, against which a {@code .txt}'s quiet time is measured
     * @param orphanAfter a {@code .txt} unchanged for this long is a candidate orphan even when no newer run exists
     */
    static List<ExportFile> list(Path exportPath, String channel, long nowMillis, Duration orphanAfter)
            throws IOException {
        Path dir = exportPath.resolve(channel);
        List<ExportFile> files = new ArrayList<>();
        List<ExportFile> unfinishedRuns = new ArrayList<>();
        String newestRun = null; // the stem of the newest audit run, finished or not
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean finished = name.endsWith(FINISHED);
                boolean unfinishedRun = name.endsWith(UNFINISHED_RUN) && !name.startsWith(ADMISSION_PREFIX);
                if (!(finished || unfinishedRun) || name.contains(DELETING) || name.startsWith(".")) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue; // removed since the directory was read: not ours to count yet
                }
                if (!attributes.isRegularFile()) {
                    continue;
                }
                Kind kind = name.startsWith(ADMISSION_PREFIX) ? Kind.ADMISSION : Kind.AUDIT;
                if (kind == Kind.AUDIT) {
                    String stem = name.substring(0, name.length() - 4); // both extensions have 4 characters
                    if (newestRun == null || stem.compareTo(newestRun) > 0) {
                        newestRun = stem;
                    }
                }
                long modified = attributes.lastModifiedTime().toMillis();
                String stamp = stamp(attributes);
                ExportFile file = new ExportFile(entry, channel, kind, modified, stamp, unfinishedRun);
                (unfinishedRun ? unfinishedRuns : files).add(file);
            }
        } catch (NoSuchFileException | NotDirectoryException notYet) {
            return List.of();
        }
        for (ExportFile run : unfinishedRuns) {
            if (run.superseded(newestRun) || nowMillis - run.modifiedMillis >= orphanAfter.toMillis()) {
                files.add(run);
            }
        }
        files.sort(Comparator.comparing(ExportFile::kind).thenComparing(ExportFile::name));
        return files;
    }

    /**
     * The stamp {@code path} has now.
     *
     * @throws NoSuchFileException when it is gone
     */
    static String stampOf(Path path) throws IOException {
        return stamp(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    }

    private static String stamp(BasicFileAttributes attributes) {
        return Objects.toString(attributes.fileKey()) + '/' + attributes.size() + '/'
                + attributes.lastModifiedTime().toMillis();
    }

    /** Whether a run newer than this unfinished one exists: the audit manager writes one run at a time. */
    private boolean superseded(String newestRun) {
        String name = name();
        return newestRun.compareTo(name.substring(0, name.length() - UNFINISHED_RUN.length())) > 0;
    }
}
