package io.github.decisionlog.exporter.journal;

/** An append after the journal closed, which happens to a source still blocked on a full journal at shutdown. */
public class JournalClosedException extends IllegalStateException {

    JournalClosedException() {
        super("the journal is closed");
    }
}
