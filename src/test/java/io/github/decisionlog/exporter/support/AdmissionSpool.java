package io.github.decisionlog.exporter.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import com.sun.jna.LastErrorException;

/**
 * Gatekeeper's admission spool writer (master, {@code pkg/export/disk/admission_file.go}), step for step, so that
 * the exporter can be tested against it: a batch of up to 64 records is written into the channel directory's current
 * segment {@code admission-<UTC time>-<16 hex>.open} (created {@code O_EXCL}, mode 0660, under
 * {@code flock(LOCK_EX|LOCK_NB)}), which is synced after every batch, and rotated (synced, closed, unlocked, renamed to
 * {@code .log}, chmod 0660) at 1 MiB or 1000 records. Before each batch, retention (20 finished segments, 20 MiB with
 * the open segment and the batch, 24 h) deletes the oldest finished segments across every channel: each under a
 * non-blocking {@code flock}, renamed to {@code .log.deleting}, unlocked and removed. When that lock is held by a reader,
 * or the deletion fails in any other way, the write fails before writing: Gatekeeper logs "admission cleanup blocked by
 * active reader" and the batch is dropped, never retried. This writer counts those batches and their records instead.
 * Retention also runs after a batch that rotated a segment; a failure there is reported for a batch already written,
 * and is recorded in {@link #errors} (and {@link #blockedByReader}) but not counted as a drop.
 *
 * <p>Not thread-safe: Gatekeeper serialises writes per Connection, and so does the caller.
 */
public final class AdmissionSpool implements AutoCloseable {

    public static final int MAX_BATCH = 64;
    public static final int MAX_RESULTS = 20;
    public static final long MAX_TOTAL_BYTES = 20L << 20;
    public static final long MAX_FILE_BYTES = 1L << 20;
    public static final long MAX_FILE_RECORDS = 1000;
    public static final Duration FILE_TTL = Duration.ofHours(24);
    public static final String BLOCKED = "admission cleanup blocked by active reader";

    private static final DateTimeFormatter SEGMENT_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final Set<PosixFilePermission> MODE_0660 = PosixFilePermissions.fromString("rw-rw----");
    private static final Set<PosixFilePermission> MODE_0770 = PosixFilePermissions.fromString("rwxrwx---");
    private static final int ENOENT = 2;
    private static final int EWOULDBLOCK = 11;

    private final Path root;
    private final Path channelDir;
    private Stream stream;

    private long batchesWritten;
    private long recordsWritten;
    private long batchesDropped;
    private long recordsDropped;
    private long blockedByReader;
    private long segmentsDeleted;
    private final List<String> errors = new ArrayList<>();
    private final List<Path> deleted = new ArrayList<>();
    private final Map<Path, Long> segments = new LinkedHashMap<>();

    /** A spool under Gatekeeper's export path {@code root} (the Connection's path) for one channel. */
    public AdmissionSpool(Path root, String channel) {
        this.root = root;
        this.channelDir = root.resolve(channel);
    }

    /** The segment being written. */
    private static final class Stream {
        final Path openPath;
        final FileChannel file;
        final Flock lock;
        long bytes;
        long records;

        Stream(Path openPath, FileChannel file, Flock lock) {
            this.openPath = openPath;
            this.file = file;
            this.lock = lock;
        }
    }

    /** Thrown where Gatekeeper's write fails before it writes: the batch is dropped. */
    private static final class Failed extends Exception {
        Failed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Writes one batch as Gatekeeper's {@code PublishBatch} does.
     *
     * @return whether it was written; false when Gatekeeper would have dropped it
     */
    public boolean write(List<String> records) throws IOException {
        if (records.size() > MAX_BATCH) {
            throw new IllegalArgumentException("Gatekeeper's admission exporter sends at most 64 records at once");
        }
        long batchBytes = 0;
        for (String record : records) {
            batchBytes += record.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        try {
            cleanup(batchBytes);
        } catch (Failed e) {
            batchesDropped++;
            recordsDropped += records.size();
            errors.add(e.getMessage());
            return false;
        }
        boolean rotated = false;
        for (String record : records) {
            byte[] line = (record + "\n").getBytes(StandardCharsets.UTF_8);
            if (stream == null) {
                stream = open();
            } else if (stream.records > 0 && (stream.bytes + line.length > MAX_FILE_BYTES
                    || stream.records >= MAX_FILE_RECORDS)) {
                finish(stream);
                rotated = true;
                stream = open();
            }
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                stream.file.write(buffer);
            }
            stream.bytes += line.length;
            stream.records++;
            if (stream.bytes >= MAX_FILE_BYTES || stream.records >= MAX_FILE_RECORDS) {
                finish(stream);
                rotated = true;
                stream = null;
            }
        }
        if (stream != null) {
            stream.file.force(false);
        }
        batchesWritten++;
        recordsWritten += records.size();
        if (rotated) {
            try {
                cleanup(0); // Gatekeeper reports this error for a batch already written: it is not dropped
            } catch (Failed e) {
                errors.add("after writing: " + e.getMessage());
            }
        }
        return true;
    }

    /** Finishes the open segment, as Gatekeeper's rotation timer does once it is a minute old; then retention. */
    public void rotate() throws IOException {
        if (stream != null) {
            finish(stream);
            stream = null;
        }
        try {
            cleanup(0);
        } catch (Failed e) {
            errors.add("after rotating: " + e.getMessage());
        }
    }

    /**
     * Leaves the open segment as a writer that dies mid-record leaves it: half a line at its end, and its lock gone
     * with the process.
     *
     * @return the {@code .open} file left behind, or {@code null} when no segment was open
     */
    public Path crash(String halfARecord) throws IOException {
        if (stream == null) {
            return null;
        }
        Path left = stream.openPath;
        segments.put(left, stream.records);
        stream.file.write(ByteBuffer.wrap(halfARecord.getBytes(StandardCharsets.UTF_8)));
        stream.file.close();
        stream.lock.close();
        stream = null;
        return left;
    }

    /**
     * Gatekeeper's recovery of an abandoned {@code .open} segment ({@code recoverAdmissionOpenFile}): under its lock,
     * cut it after its last complete line, sync it, and rename it to {@code .recovered.log}.
     *
     * @return the recovered segment
     */
    public static Path recover(Path open) throws IOException {
        try (Flock lock = Flock.exclusive(open); FileChannel file = FileChannel.open(open, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            byte[] content = Files.readAllBytes(open);
            int lastNewline = -1;
            for (int i = content.length - 1; i >= 0; i--) {
                if (content[i] == '\n') {
                    lastNewline = i;
                    break;
                }
            }
            file.truncate(lastNewline + 1);
            file.force(true);
        }
        String name = open.getFileName().toString();
        Path ready = open.resolveSibling(name.substring(0, name.length() - ".open".length()) + ".recovered.log");
        Files.move(open, ready, StandardCopyOption.ATOMIC_MOVE);
        return ready;
    }

    private Stream open() throws IOException {
        Files.createDirectories(channelDir, PosixFilePermissions.asFileAttribute(MODE_0770));
        Files.setPosixFilePermissions(channelDir, MODE_0770);
        for (int attempt = 0; attempt < 8; attempt++) {
            byte[] random = new byte[8];
            ThreadLocalRandom.current().nextBytes(random);
            Path path = channelDir.resolve("admission-" + SEGMENT_TIME.format(Instant.now()) + "-"
                    + HexFormat.of().formatHex(random) + ".open");
            FileChannel file;
            try {
                // O_CREATE|O_EXCL|O_WRONLY|O_APPEND|O_NOFOLLOW, 0660 (less the umask, as for Gatekeeper)
                file = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS),
                        PosixFilePermissions.asFileAttribute(MODE_0660));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                continue;
            }
            return new Stream(path, file, Flock.exclusive(path));
        }
        throw new IOException("creating unique admission file");
    }

    /** Sync, close and unlock, rename to {@code .log}, chmod 0660. */
    private void finish(Stream stream) throws IOException {
        stream.file.force(false);
        stream.file.close();
        stream.lock.close();
        String name = stream.openPath.getFileName().toString();
        Path ready = stream.openPath.resolveSibling(name.substring(0, name.length() - ".open".length()) + ".log");
        Files.move(stream.openPath, ready, StandardCopyOption.ATOMIC_MOVE);
        Files.setPosixFilePermissions(ready, MODE_0660);
        segments.put(ready, stream.records);
    }

    private record Ready(Path path, long size, long modifiedMillis) {
    }

    /** Retention before a write of {@code reservedBytes}: {@code cleanupAdmissionFilesWithReservation}. */
    private void cleanup(long reservedBytes) throws Failed, IOException {
        long openBytes = stream == null ? 0 : stream.bytes;
        long maxReadyBytes = MAX_TOTAL_BYTES - openBytes - reservedBytes;
        List<Ready> files = scan();
        long totalBytes = files.stream().mapToLong(Ready::size).sum();
        long now = System.currentTimeMillis();
        while (true) {
            boolean expired = !files.isEmpty() && now - files.get(0).modifiedMillis() > FILE_TTL.toMillis();
            if (!expired && files.size() <= MAX_RESULTS && totalBytes <= maxReadyBytes) {
                return;
            }
            if (files.isEmpty()) {
                throw new Failed("admission cleanup backlog remains above configured retention limits");
            }
            Ready oldest = files.remove(0);
            remove(oldest.path());
            totalBytes -= oldest.size();
        }
    }

    /** Every finished admission segment under the export path, oldest first (modification time, then path). */
    private List<Ready> scan() throws IOException {
        List<Ready> files = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return files;
        }
        try (DirectoryStream<Path> topics = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path topic : topics) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(topic)) {
                    for (Path entry : entries) {
                        String name = entry.getFileName().toString();
                        if (!name.startsWith("admission-") || !name.endsWith(".log")) {
                            continue; // filepath.Ext: .log.deleting and .open are not finished segments
                        }
                        try {
                            BasicFileAttributes a = Files.readAttributes(entry, BasicFileAttributes.class,
                                    LinkOption.NOFOLLOW_LINKS);
                            if (!a.isDirectory()) {
                                files.add(new Ready(entry, a.size(), a.lastModifiedTime().toMillis()));
                            }
                        } catch (NoSuchFileException gone) {
                            // os.IsNotExist: skipped
                        }
                    }
                }
            }
        }
        files.sort(Comparator.comparingLong(Ready::modifiedMillis).thenComparing(r -> r.path().toString()));
        return files;
    }

    /** {@code removeAdmissionReadyFile}: lock without waiting, rename to {@code .deleting}, unlock, remove. */
    private void remove(Path path) throws Failed, IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Flock lock;
        try {
            lock = Flock.exclusive(path);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENOENT) {
                return;
            }
            if (e.getErrorCode() == EWOULDBLOCK) {
                blockedByReader++;
                throw new Failed(BLOCKED + ": admission file is busy");
            }
            throw new Failed("lock " + path + ": errno " + e.getErrorCode());
        }
        Path deleting = path.resolveSibling(path.getFileName() + ".deleting");
        try {
            Files.move(path, deleting, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            lock.close();
            throw new Failed("rename " + path + ": " + e); // the write fails; the batch is dropped
        }
        lock.close();
        try {
            Files.delete(deleting);
        } catch (IOException e) {
            throw new Failed("remove " + deleting + ": " + e);
        }
        segmentsDeleted++;
        deleted.add(path);
    }

    /** Batches written; records written. */
    public long batchesWritten() {
        return batchesWritten;
    }

    public long recordsWritten() {
        return recordsWritten;
    }

    /** Batches Gatekeeper would have dropped, for any reason; and their records. */
    public long batchesDropped() {
        return batchesDropped;
    }

    public long recordsDropped() {
        return recordsDropped;
    }

    /** How often a segment's deletion found its lock held: "admission cleanup blocked by active reader". */
    public long blockedByReader() {
        return blockedByReader;
    }

    /** Finished segments retention deleted (whether or not a reader had read them first), in order. */
    public List<Path> deleted() {
        return deleted;
    }

    /**
     * Every segment this writer finished ({@code .log}) or left behind in a crash ({@code .open}), with the number of
     * complete records in it, in the order they were written.
     */
    public Map<Path, Long> segments() {
        return segments;
    }

    public long segmentsDeleted() {
        return segmentsDeleted;
    }

    /** Every error Gatekeeper would have logged or returned. */
    public List<String> errors() {
        return errors;
    }

    public Path channelDir() {
        return channelDir;
    }

    /** Closes the open segment without finishing it, its lock released; as a stop without a final rotation. */
    @Override
    public void close() throws IOException {
        if (stream != null) {
            stream.file.close();
            stream.lock.close();
            stream = null;
        }
    }
}
