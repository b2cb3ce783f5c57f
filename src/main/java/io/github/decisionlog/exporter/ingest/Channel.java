package io.github.decisionlog.exporter.ingest;

import io.github.decisionlog.exporter.journal.RecordMeta;

/**
 * Where the sources put what they accept, seen from ingest: append a record, and make what was appended durable.
 * The journal is behind it ({@link JournalChannel}); sources never reach into the journal themselves.
 */
public interface Channel {

    /**
     * Appends one record; once this returns true the record survives a crash of the process. While the journal is
     * full this waits for room (back-pressure), or returns false when the setting is to drop.
     */
    boolean append(RecordMeta meta, byte[] buf, int off, int len);

    /** Returns once what was appended so far is as durable as {@code exporter.journal.sync} promises. */
    void awaitDurable();

    /** Forces what was appended so far onto the disk, whatever the sync setting: before a source deletes its input. */
    void forceToDisk();
}
