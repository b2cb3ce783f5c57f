package io.github.decisionlog.exporter.publish;

import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalReader;
import io.github.decisionlog.exporter.journal.UndecodableEntryException;

/**
 * The publisher's place in the journal: its reader, and the one entry read and not yet sent (it waits there for room
 * in the window). An entry that cannot be decoded waits the same way, as its {@link UndecodableEntryException}.
 * Used from the publisher's thread only.
 */
final class JournalCursor {

    private final JournalReader reader;
    private JournalEntry entry;
    private UndecodableEntryException undecodable;

    JournalCursor(JournalReader reader) {
        this.reader = reader;
    }

    /** Reads the next entry unless one is waiting; false at the end of the journal. */
    boolean next() {
        if (entry == null && undecodable == null) {
            try {
                entry = reader.next();
            } catch (UndecodableEntryException e) {
                undecodable = e;
            }
        }
        return hasWaiting();
    }

    boolean hasWaiting() {
        return entry != null || undecodable != null;
    }

    /** The waiting entry, or {@code null} when the waiting one cannot be decoded. */
    JournalEntry entry() {
        return entry;
    }

    /** The waiting entry that cannot be decoded, or {@code null}. */
    UndecodableEntryException undecodable() {
        return undecodable;
    }

    long index() {
        return entry != null ? entry.index() : undecodable.index();
    }

    /** The waiting entry's size in the journal. */
    int size() {
        return entry != null ? entry.size() : undecodable.size();
    }

    /** The waiting entry was sent (or counted): the next {@link #next} reads on. */
    void taken() {
        entry = null;
        undecodable = null;
    }

    /** Goes back to just after the journal's acknowledged position, forgetting the waiting entry. */
    void rewind() {
        taken();
        reader.rewind();
    }
}
