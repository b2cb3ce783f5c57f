package io.github.decisionlog.exporter.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * A read-only look into a journal directory, for operators: it opens the queue read-only, so it can run beside a live
 * exporter without moving its position or writing anything.
 */
public final class JournalInspection implements AutoCloseable {

    /** What the journal holds. Indexes are {@link Journal#NO_RECORD} where there is none. */
    public record Summary(Path dir, String journalId, long bytesOnDisk, long firstIndex, long lastIndex,
            long acknowledgedIndex, long backlogRecords, long oldestUnacknowledgedAtMillis) {
    }

    private final Path dir;
    private final SingleChronicleQueue queue;
    private final String journalId;
    private final byte[] scratch = new byte[256]; // for metadata strings, reused from entry to entry

    public JournalInspection(Path dir) throws IOException {
        this.dir = dir;
        Path queueDir = dir.resolve("queue");
        if (!Files.isDirectory(queueDir)) {
            throw new IOException(dir + " holds no journal (no queue directory)");
        }
        Path idFile = dir.resolve("journal.id");
        this.journalId = Files.exists(idFile) ? Files.readString(idFile, StandardCharsets.US_ASCII).trim() : "unknown";
        this.queue = SingleChronicleQueueBuilder.binary(queueDir).readOnly(true).build();
    }

    public Summary summary() throws IOException {
        long bytes = FileBlocks.underDirectory(dir); // what the cap counts: everything, as du counts it
        long last = queue.lastIndex();
        boolean empty = last < 0 || last == Journal.NO_RECORD;
        long first = empty ? Journal.NO_RECORD : queue.firstIndex();
        long ack = acknowledgedIndex();
        long backlog = 0;
        long oldest = 0;
        if (!empty) {
            backlog = ack == Journal.NO_RECORD ? queue.countExcerpts(first, last) + 1 : queue.countExcerpts(ack, last);
            JournalEntry next = firstUnacknowledged(ack);
            oldest = next == null ? 0 : next.receivedAtMillis();
        }
        return new Summary(dir, journalId, bytes, first, empty ? Journal.NO_RECORD : last, ack, backlog, oldest);
    }

    /** Hands over up to {@code limit} entries from {@code fromIndex} on ({@link Journal#NO_RECORD}: the start). */
    public void dump(long fromIndex, int limit, Consumer<JournalEntry> out) {
        try (ExcerptTailer tailer = queue.createTailer()) {
            if (fromIndex == Journal.NO_RECORD) {
                tailer.toStart();
            } else if (!tailer.moveToIndex(fromIndex)) {
                throw new IllegalArgumentException("no record at index 0x" + Long.toHexString(fromIndex));
            }
            for (int i = 0; i < limit; i++) {
                JournalEntry entry = read(tailer);
                if (entry == null) {
                    return;
                }
                out.accept(entry);
            }
        }
    }

    /** The first record Kafka has not acknowledged, or {@code null}. */
    public JournalEntry firstUnacknowledged(long acknowledgedIndex) {
        try (ExcerptTailer tailer = queue.createTailer()) {
            if (acknowledgedIndex == Journal.NO_RECORD) {
                tailer.toStart();
            } else if (tailer.moveToIndex(acknowledgedIndex)) {
                read(tailer);
            } else {
                tailer.toStart();
            }
            return read(tailer);
        }
    }

    public long acknowledgedIndex() {
        LongValue value = queue.indexForId("acknowledged");
        long index = value.getVolatileValue();
        return index <= 0 ? Journal.NO_RECORD : index;
    }

    private JournalEntry read(ExcerptTailer tailer) {
        try (DocumentContext dc = tailer.readingDocument()) {
            return dc.isPresent() ? EntryCodec.read(dc.wire().bytes(), dc.index(), journalId, scratch) : null;
        }
    }

    @Override
    public void close() {
        queue.close();
    }
}
