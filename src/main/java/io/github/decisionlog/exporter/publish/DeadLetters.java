package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.UndecodableEntryException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way out for a record that cannot go to its topic: one Kafka refuses for good (too large for the topic,
 * invalid for it), or a journal entry that cannot be decoded. Such a record goes to the dead-letter topic, through the
 * publisher's window and producer like any other, with the reason in a header; with no dead-letter topic it is counted
 * as dropped and logged. A dead-letter topic that refuses the record for good drops it too; one that fails otherwise
 * (missing, unreachable) is counted and logged, and the record is tried again. Used from the publisher's thread only.
 */
final class DeadLetters {

    /** Why the record is in the dead-letter topic. */
    static final String REASON = "dead_letter_reason";
    /** The record's position in the journal, in hex, as the exporter's log lines name it. */
    static final String JOURNAL_INDEX = "journal_index";
    static final String UNDECODABLE = "undecodable";
    static final String POISON = "poison";

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
    private static final long FAILURE_LOG_INTERVAL = TimeUnit.SECONDS.toNanos(30);

    private final String topic;
    private final KafkaRecords records;
    private final ExporterProperties.Publish settings;
    private final MeterRegistry registry;
    private final Counter failuresRetried;
    private final Counter failuresDropped;
    private long nextFailureLog = System.nanoTime();
    private long failuresNotLogged;
    private long refusedIndex = Journal.NO_RECORD; // the record Kafka refused, sent alone, and how often
    private int refusals;
    private long markedIndex = Journal.NO_RECORD; // refused poison-attempts times: dead-lettered when read again
    private Throwable markedCause;
    // exactly-once: copies the dead-letter topic refused for good inside a transaction, by journal index; their
    // records are dropped when read again, once the transaction around them commits
    private final Map<Long, Throwable> refusedCopies = new HashMap<>();

    DeadLetters(KafkaRecords records, ExporterProperties.Publish settings, MeterRegistry registry) {
        this.topic = settings.deadLetterTopic();
        this.records = records;
        this.settings = settings;
        this.registry = registry;
        // the series dashboards and alerts use exist from the start, at zero
        Counter.builder("decisionlog.records.dropped").tag("reason", POISON).register(registry);
        Counter.builder("decisionlog.records.dropped").tag("reason", UNDECODABLE).register(registry);
        // both outcomes exist from the start, so that an alert on their increase sees the first failure
        failuresRetried = Counter.builder("decisionlog.dead.letter.failures").tag("outcome", "retried")
                .description("Sends to the dead-letter topic that failed: retried (the record waits in the journal) "
                        + "or dropped (the topic refused it for good)").register(registry);
        failuresDropped = Counter.builder("decisionlog.dead.letter.failures").tag("outcome", "dropped")
                .register(registry);
    }

    /** Errors about one record that no retry can cure; errors about the broker or the client are not. */
    static boolean isPoison(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException
                    || t instanceof InvalidRecordException || t instanceof SerializationException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Counts a refusal of the window's head record, which is sent alone after a failure; true once Kafka refused it
     * for good {@code poison-attempts} times: it is then marked, to go to the dead letters when it is read again.
     */
    boolean refusedForGood(Window.Slot head) {
        if (!isPoison(head.error)) {
            return false;
        }
        if (head.index != refusedIndex) {
            refusedIndex = head.index;
            refusals = 0;
        }
        if (++refusals < settings.poisonAttempts()) {
            return false;
        }
        refusedIndex = Journal.NO_RECORD;
        markedIndex = head.index;
        markedCause = head.error;
        return true;
    }

    /** True for the record that Kafka refused for good, until it is dead-lettered or dropped. */
    boolean isMarked(long index) {
        return index == markedIndex;
    }

    /** What the marked record's slot carries. */
    Window.DeadLetter marked(JournalEntry entry) {
        return new Window.DeadLetter(entry.recordId(), rootCause(markedCause).getClass().getSimpleName(),
                describe(markedCause), POISON);
    }

    /** What an undecodable entry's slot carries. */
    static Window.DeadLetter undecodable(UndecodableEntryException e) {
        return new Window.DeadLetter(null, UNDECODABLE, UNDECODABLE + ": " + e.reason(), UNDECODABLE);
    }

    boolean hasTopic() {
        return !topic.isBlank();
    }

    /**
     * True if the record at {@code index} goes to the dead-letter topic as a copy; false if it is dropped: there is
     * no such topic, or the topic refused its copy for good already.
     */
    boolean sendsCopy(long index) {
        return hasTopic() && !refusedCopies.containsKey(index);
    }

    /**
     * Exactly-once: a dead letter's copy failed inside a transaction, which aborts. True if the topic refused it for
     * good: then the record is not sent again but dropped, like one with at-least-once, when read again and its
     * transaction commits. False for a failure a retry may cure.
     */
    boolean refusedForGoodToo(Window.Slot slot) {
        if (!isPoison(slot.error)) {
            return false;
        }
        refusedCopies.put(slot.index, slot.error);
        return true;
    }

    /** The dead-letter copy of a record Kafka refused: the record as it would have been, plus the reason. */
    ProducerRecord<byte[], byte[]> copy(JournalEntry entry, Window.DeadLetter letter) {
        ProducerRecord<byte[], byte[]> copy = records.toRecord(entry, topic);
        copy.headers().add(REASON, utf8(letter.reason()));
        copy.headers().add(JOURNAL_INDEX, utf8(Long.toHexString(entry.index())));
        return copy;
    }

    /** The dead-letter copy of an entry that cannot be decoded: its raw bytes as they are in the journal. */
    ProducerRecord<byte[], byte[]> copy(UndecodableEntryException e, Window.DeadLetter letter) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(letter.reason()));
        headers.add(JOURNAL_INDEX, utf8(Long.toHexString(e.index())));
        return new ProducerRecord<>(topic, null, (byte[]) null, e.raw(), headers);
    }

    /**
     * A dead letter's slot has settled at the head of the window: true if it may be acknowledged (delivered to the
     * dead-letter topic, or dropped: with no such topic, or because that topic refuses it for good too); false if
     * sending it failed in a way a retry may cure.
     */
    boolean settled(Window.Slot slot) {
        if (slot.error != null && !isPoison(slot.error)) {
            return false;
        }
        Throwable refusal = slot.error != null ? slot.error : refusedCopies.remove(slot.index);
        if (refusal != null) {
            refusedToo(slot, refusal);
        } else if (slot.dropped) {
            dropped(slot.index, slot.deadLetter);
        } else {
            delivered(slot);
        }
        if (slot.index == markedIndex) {
            markedIndex = Journal.NO_RECORD;
            markedCause = null;
        }
        return true;
    }

    /** The dead-letter topic acknowledged the copy. */
    private void delivered(Window.Slot slot) {
        Window.DeadLetter letter = slot.deadLetter;
        count("decisionlog.records.dead.lettered", letter.tag());
        if (letter.recordId() == null) {
            log.warn("Journal entry at journal index {} cannot be decoded ({}); its {} bytes were sent to dead-letter "
                    + "topic {}", Long.toHexString(slot.index), letter.reason(), slot.size, topic);
        } else {
            log.warn("Record {} sent to dead-letter topic {}: Kafka refused it for good ({})", letter.recordId(), topic,
                    letter.reason());
        }
    }

    /** With no dead-letter topic: the record is counted as dropped and logged. */
    private void dropped(long index, Window.DeadLetter letter) {
        drop(index, letter, "set exporter.publish.dead-letter-topic to keep such records");
    }

    /** The dead-letter topic refused the copy for good too: the record is dropped. */
    private void refusedToo(Window.Slot slot, Throwable error) {
        failuresDropped.increment();
        drop(slot.index, slot.deadLetter, "the dead-letter topic " + topic + " refused it too (" + describe(error)
                + ")");
    }

    private void drop(long index, Window.DeadLetter letter, String what) {
        count("decisionlog.records.dropped", letter.dropReason());
        if (letter.recordId() == null) {
            log.error("Journal entry at journal index {} cannot be decoded ({}); dropped it: {}",
                    Long.toHexString(index), letter.reason(), what);
        } else {
            log.error("Record {} (journal index {}) dropped after {} attempts: Kafka refused it for good ({}); {}",
                    letter.recordId(), Long.toHexString(index), settings.poisonAttempts(), letter.reason(), what);
        }
    }

    /**
     * Sending to the dead-letter topic failed in a way a retry may cure (no such topic, a timeout): counted, logged
     * at most once in 30 s, and the record waits in the journal for the next attempt.
     */
    void failed(Window.Slot slot, Throwable error) {
        failuresRetried.increment();
        long now = System.nanoTime();
        if (now - nextFailureLog < 0) {
            failuresNotLogged++;
            return;
        }
        nextFailureLog = now + FAILURE_LOG_INTERVAL;
        log.warn("Could not send {} to dead-letter topic {} ({}); it waits in the journal and is tried again{}",
                slot.deadLetter.recordId() == null ? "the entry at journal index " + Long.toHexString(slot.index)
                        : "record " + slot.deadLetter.recordId(), topic, describe(error),
                failuresNotLogged == 0 ? "" : " (" + failuresNotLogged + " more such failures since the last line)");
        failuresNotLogged = 0;
    }

    private void count(String name, String reason) {
        Counter.builder(name).tag("reason", reason).register(registry).increment();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String describe(Throwable t) {
        Throwable root = rootCause(t);
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
