package io.github.decisionlog.exporter.journal;

import java.io.EOFException;
import java.io.IOException;
import java.io.StreamCorruptedException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue that could not be opened because it is damaged, which a crash or a disk fault can do (a cycle file cut
 * short or with its header overwritten, the metadata file cut short or overwritten). It is moved aside whole, with its
 * journal id, into {@code damaged-<time>/} beside the new queue, where {@code inspect --journal} can read it; then
 * every record that can still be read in it and that Kafka had not acknowledged is journaled again, with the record id
 * it had. Only failures recognised as damage move a queue: an I/O error or a setting stops start-up instead.
 * <p>
 * Until the recovered records are safe in the new queue, a marker file in the moved-aside directory says the recovery
 * is unfinished: an exporter that stops during it (a crash, no room on the volume) starts it again at its next start,
 * from a new queue, so no record of the damaged copy is left behind without a word.
 */
final class DamagedQueue {

    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'");
    /** In a moved-aside directory while its records are not yet safe in the new queue. */
    static final String UNFINISHED = "recovery-unfinished";
    /** How long Chronicle waits for a lock or a header of a damaged file before giving up. */
    private static final long TIMEOUT_MILLIS = 2000;

    /**
     * What a recovery found: records journaled again, acknowledged ones skipped, whether the acknowledged position
     * could be read (when not, every readable record is journaled again), and the files that could not be read whole.
     */
    record Recovery(long recovered, long acknowledgedSkipped, boolean acknowledgedKnown, List<String> unreadable) {
    }

    private final Path aside;
    private final String journalId;
    private final Throwable failure;

    private DamagedQueue(Path aside, String journalId, Throwable failure) {
        this.aside = aside;
        this.journalId = journalId;
        this.failure = failure;
    }

    /**
     * Returns when {@code failure}, which opening the queue at {@code queueDir} ended with, is damage of that queue;
     * otherwise throws what stops start-up. An I/O error is not damage. Nor is a failure that a new, empty queue
     * beside it meets as well (missing JVM flags, for one): that is the environment, not this queue.
     */
    static void requireDamage(Throwable failure, Path journalDir, Path queueDir, RollCycle rollCycle) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException io && !(io instanceof StreamCorruptedException)
                    && !(io instanceof EOFException)) {
                throw new UncheckedIOException("exporter.journal.dir: cannot open the journal at " + queueDir + ": "
                        + io, io);
            }
        }
        Path check = journalDir.resolve("queue.check");
        try {
            deleteTree(check);
            try (SingleChronicleQueue fresh = builder(check, rollCycle).build()) {
                try (DocumentContext dc = fresh.createAppender().writingDocument()) {
                    dc.wire().bytes().writeLong(0);
                }
            }
        } catch (Exception | AssertionError e) {
            IllegalStateException stop = new IllegalStateException("exporter.journal.dir: cannot open the journal at "
                    + queueDir + " (" + failure + "), and a new journal beside it cannot be opened either (" + e
                    + "): check the JVM flags Chronicle Queue needs and the journal's volume", failure);
            stop.addSuppressed(e);
            throw stop;
        } finally {
            deleteTree(check);
        }
    }

    /** Moves the queue and its journal id into {@code damaged-<time>/}, so that a new queue can start. */
    static DamagedQueue moveAside(Path journalDir, Path queueDir, String journalId, Throwable failure) {
        Path aside = journalDir.resolve("damaged-" + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC)));
        try {
            Files.createDirectories(aside);
            Files.createFile(aside.resolve(UNFINISHED));
            Files.move(queueDir, aside.resolve("queue"), StandardCopyOption.ATOMIC_MOVE);
            Path id = journalDir.resolve("journal.id");
            if (Files.exists(id)) {
                // a new queue numbers its records anew: a new journal id keeps the ids derived from them unique
                Files.move(id, aside.resolve("journal.id"), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: the journal at " + queueDir + " is damaged ("
                    + failure + ") and cannot be moved aside to " + aside + ": " + e, e);
        }
        return new DamagedQueue(aside, journalId, failure);
    }

    /**
     * The damaged copy whose recovery an earlier start began and did not finish, or {@code null}. Its records are
     * journaled again from the start, so the new queue, which holds only the part recovered before the stop (sources
     * start after the journal), is deleted first.
     */
    static DamagedQueue unfinished(Path journalDir, Path queueDir) {
        List<Path> asides;
        try (var list = Files.list(journalDir)) {
            asides = list.filter(d -> d.getFileName().toString().startsWith("damaged-"))
                    .filter(d -> Files.exists(d.resolve(UNFINISHED))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("exporter.journal.dir: cannot list " + journalDir, e);
        }
        for (Path aside : asides) {
            if (!Files.isDirectory(aside.resolve("queue"))) {
                deleteTree(aside); // stopped before the queue was moved: the queue is where it was
                continue;
            }
            try {
                Path id = journalDir.resolve("journal.id");
                if (!Files.exists(aside.resolve("journal.id")) && Files.exists(id)) {
                    // stopped between the two moves: the id still in place is the damaged queue's
                    Files.move(id, aside.resolve("journal.id"), StandardCopyOption.ATOMIC_MOVE);
                }
                String journalId = Files.readString(aside.resolve("journal.id"), StandardCharsets.US_ASCII).trim();
                log.warn("The recovery of the damaged journal moved aside to {} did not finish (the exporter stopped "
                        + "during it): its records are journaled again from the start", aside);
                deleteTree(queueDir);
                return new DamagedQueue(aside, journalId,
                        new IllegalStateException("a recovery that did not finish, started again"));
            } catch (IOException e) {
                throw new UncheckedIOException("exporter.journal.dir: cannot resume the recovery of " + aside + ": "
                        + e, e);
            }
        }
        return null;
    }

    /**
     * Stops start-up when the volume has no room to journal the damaged copy's records again: writing a memory-mapped
     * file on a full file system kills the process. The copy stays, and its recovery is tried at the next start.
     */
    void requireRoom(Path journalDir, long minFreeBytes) {
        long needed = FileBlocks.underDirectory(aside.resolve("queue"));
        long usable;
        try {
            usable = Files.getFileStore(journalDir).getUsableSpace();
        } catch (IOException e) {
            return; // not known: the recovery goes ahead
        }
        if (usable - needed < minFreeBytes) {
            throw new IllegalStateException("exporter.journal.dir: the records of the damaged journal moved aside to "
                    + aside + " take up to " + (needed >> 20) + " MiB to journal again, and " + journalDir + " has "
                    + (usable >> 20) + " MiB free, " + (minFreeBytes >> 20) + " MiB of which exporter.journal."
                    + "min-free-disk keeps free: make room on the volume and start again (the recovery is tried at "
                    + "every start), or move the copy away and replay it with: inspect --journal " + aside
                    + " --dump --from start");
        }
    }

    /**
     * Hands every readable record that Kafka had not acknowledged to {@code sink}, in order, with the record id it
     * had. Each cycle file is read on its own, so that one damaged file costs only its own records.
     */
    Recovery recover(RollCycle rollCycle, Consumer<JournalEntry> sink) {
        Path queueDir = aside.resolve("queue");
        long acknowledged = acknowledgedIndex(queueDir, rollCycle);
        long[] counts = new long[2];
        List<String> unreadable = new ArrayList<>();
        List<Path> files;
        try (var list = Files.list(queueDir)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(SingleChronicleQueue.SUFFIX)).sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the damaged journal " + queueDir, e);
        }
        byte[] scratch = new byte[4096];
        for (Path file : files) {
            Path scan = aside.resolve("scan");
            try {
                deleteTree(scan);
                Files.createDirectories(scan);
                link(file, scan.resolve(file.getFileName()));
                try (SingleChronicleQueue one = builder(scan, rollCycle).build();
                        ExcerptTailer tailer = one.createTailer()) {
                    tailer.toStart();
                    while (true) {
                        JournalEntry entry;
                        try (DocumentContext dc = tailer.readingDocument()) {
                            if (!dc.isPresent()) {
                                break;
                            }
                            entry = EntryCodec.read(dc.wire().bytes(), dc.index(), journalId, scratch);
                        }
                        if (acknowledged != Journal.NO_RECORD && entry.index() <= acknowledged) {
                            counts[1]++;
                        } else {
                            sink.accept(entry);
                            counts[0]++;
                        }
                    }
                }
            } catch (Exception | AssertionError e) {
                unreadable.add(file.getFileName() + " (" + e + ")");
            } finally {
                deleteTree(scan);
            }
        }
        return new Recovery(counts[0], counts[1], acknowledged != Journal.NO_RECORD, unreadable);
    }

    /** The acknowledged position kept in the damaged queue's metadata, or NO_RECORD when it cannot be read. */
    private long acknowledgedIndex(Path queueDir, RollCycle rollCycle) {
        Path scan = aside.resolve("scan-metadata");
        try {
            deleteTree(scan);
            Files.createDirectories(scan);
            Files.copy(queueDir.resolve("metadata.cq4t"), scan.resolve("metadata.cq4t"));
            try (SingleChronicleQueue metadata = builder(scan, rollCycle).build()) {
                long index = metadata.indexForId(JournalStore.ACKNOWLEDGED_ID).getVolatileValue();
                return index <= 0 ? Journal.NO_RECORD : index;
            }
        } catch (Exception | AssertionError e) {
            log.warn("The acknowledged position of the damaged journal cannot be read ({}): every record that can be "
                    + "read in it is sent again", e.toString());
            return Journal.NO_RECORD;
        } finally {
            deleteTree(scan);
        }
    }

    /** After the recovered records are safe in the new journal: one line, and the damaged copy goes if all was read. */
    void finish(Recovery recovery, Path queueDir) {
        boolean complete = recovery.unreadable().isEmpty();
        if (complete) {
            deleteTree(aside);
        } else {
            try {
                Files.deleteIfExists(aside.resolve(UNFINISHED));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot mark the recovery of " + aside + " finished: " + e, e);
            }
        }
        log.error("Journal at {} was damaged ({}): moved it aside to {}; {} records Kafka had not acknowledged were "
                + "journaled again with their ids{}; {}", queueDir, failure, aside, recovery.recovered(),
                recovery.acknowledgedKnown() ? " (" + recovery.acknowledgedSkipped() + " acknowledged ones skipped)"
                        : " (its acknowledged position was lost: every readable record is sent again)",
                complete ? "every file was read whole, so the damaged copy was deleted"
                        : "these files could not be read whole and are kept there, counting against "
                                + "exporter.journal.max-size until deleted: " + recovery.unreadable()
                                + "; see what can be read with: inspect --journal " + aside + " --dump --from start");
    }

    Path aside() {
        return aside;
    }

    /** The journal's builder, waiting less for a lock or a header that a damaged file may never give. */
    private static SingleChronicleQueueBuilder builder(Path dir, RollCycle rollCycle) {
        return JournalStore.builder(dir, rollCycle).timeoutMS(TIMEOUT_MILLIS);
    }

    private static void link(Path file, Path link) throws IOException {
        try {
            Files.createLink(link, file);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, link);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("Cannot delete {}: {}", root, e.toString());
        }
    }
}
