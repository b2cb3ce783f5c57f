package io.github.decisionlog.exporter.ingest;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.RecordMeta;

import org.springframework.stereotype.Component;

/** The journal as the sources' {@link Channel}. */
@Component
class JournalChannel implements Channel {

    private final Journal journal;

    JournalChannel(Journal journal) {
        this.journal = journal;
    }

    @Override
    public boolean append(RecordMeta meta, byte[] buf, int off, int len) {
        return journal.append(meta, buf, off, len) != Journal.DROPPED;
    }

    @Override
    public void awaitDurable() {
        journal.awaitDurable();
    }

    @Override
    public void forceToDisk() {
        journal.sync();
    }
}
