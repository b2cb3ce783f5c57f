package io.github.decisionlog.exporter.journal;

/**
 * A journal entry that cannot be decoded: an unknown format, or a length that runs past the entry. The reader has
 * moved past it; the entry's raw bytes and its index come with the exception, so that the caller can keep them
 * elsewhere (a dead-letter topic) and acknowledge the entry like any other, instead of stopping on it.
 */
public class UndecodableEntryException extends RuntimeException {

    private final long index;
    private final transient byte[] raw;

    UndecodableEntryException(long index, byte[] raw, String reason, Throwable cause) {
        super("journal entry " + Long.toHexString(index) + " cannot be decoded: " + reason, cause);
        this.index = index;
        this.raw = raw;
    }

    /** The entry's index in the journal, what {@link Journal#acknowledge} takes. */
    public long index() {
        return index;
    }

    /** The entry's bytes as they are in the journal. */
    public byte[] raw() {
        return raw;
    }

    /** The entry's size in the journal, what it counts against the budget. */
    public int size() {
        return raw.length;
    }

    /** Why it cannot be decoded, without the index. */
    public String reason() {
        String message = getMessage();
        return message.substring(message.indexOf(": ") + 2);
    }
}
