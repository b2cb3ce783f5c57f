package io.github.decisionlog.exporter.ingest.check;

/** Why a record was not accepted; the tag value of the rejected-records counter. */
public enum RejectReason {
    /** The line is longer than {@code exporter.socket.max-record-size} (or {@code exporter.gatekeeper.*}). */
    TOO_LARGE("too_large"),
    /** The bytes are not valid UTF-8. */
    NOT_UTF8("not_utf8"),
    /** The line does not parse as JSON. */
    NOT_JSON("not_json"),
    /** Arrays and objects nest deeper than the exporter reads (500 levels). */
    TOO_DEEP("too_deep"),
    /** The line is JSON, but not one object (an array, a string, two objects...). */
    NOT_OBJECT("not_object"),
    /** The journal is full and {@code exporter.journal.when-full} is {@code drop}; counted as dropped, not rejected. */
    JOURNAL_FULL("journal_full");

    private final String tag;

    RejectReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
