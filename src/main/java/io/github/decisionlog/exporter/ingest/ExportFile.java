package io.github.decisionlog.exporter.ingest;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A finished file of Gatekeeper's disk export driver: an audit run or an admission segment that Gatekeeper renamed to
 * {@code .log}. Files still being written ({@code .txt}, {@code .open}) and files Gatekeeper is removing
 * ({@code .deleting}) are never listed, so they are never opened.
 *
 * @param path where the file is
 * @param channel the channel directory it is in
 * @param kind audit run or admission segment
 * @param modifiedMillis its modification time, which is about when Gatekeeper finished it
 * @param stamp identifies this very file (inode, size, time), to recognise it in a later listing
 */
record ExportFile(Path path, String channel, Kind kind, long modifiedMillis, String stamp) {

    static final String FINISHED = ".log";
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
     * The finished files of one channel directory in the order they are read: audit runs in run order (the name is
     * the run id, which sorts by time), then admission segments oldest first (the name starts with a fixed-width UTC
     * time). A directory that does not exist yet has no files.
     */
    static List<ExportFile> list(Path exportPath, String channel) throws IOException {
        Path dir = exportPath.resolve(channel);
        List<ExportFile> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.endsWith(FINISHED) || name.contains(DELETING) || name.startsWith(".")) {
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
                long modified = attributes.lastModifiedTime().toMillis();
                String stamp = Objects.toString(attributes.fileKey()) + '/' + attributes.size() + '/' + modified;
                files.add(new ExportFile(entry, channel, kind, modified, stamp));
            }
        } catch (NoSuchFileException | NotDirectoryException notYet) {
            return List.of();
        }
        files.sort(Comparator.comparing(ExportFile::kind).thenComparing(ExportFile::name));
        return files;
    }
}
