package io.github.decisionlog.exporter.ingest.gatekeeper;

import io.github.decisionlog.exporter.ingest.Intake;
import io.github.decisionlog.exporter.ingest.LineFramer;
import io.github.decisionlog.exporter.ingest.check.DecisionFields;
import io.github.decisionlog.exporter.ingest.check.RejectReason;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.function.BooleanSupplier;


/**
 * Reads one Gatekeeper export file line by line into the journal. Each record's id is
 * {@code <channel>/<file name>:<line>}, so reading the same file again (after a crash before it was deleted) yields
 * the same ids. Audit records carry their run id (Gatekeeper's {@code id}); the run's control lines get the event
 * type {@code audit_started} or {@code audit_completed}, or are left out when they are not forwarded. Not
 * thread-safe: one reader per reading thread.
 */
final class ExportFileReader {

    static final String AUDIT_STARTED = "audit_started";
    static final String AUDIT_COMPLETED = "audit_completed";
    private static final String STARTED_MESSAGE = "audit is started";
    private static final String COMPLETED_MESSAGE = "audit is completed";

    /**
     * What reading a file gave.
     *
     * @param lines lines read, rejected ones included
     * @param finished whether the whole file was read (false when a stop cut it short)
     * @param complete for an audit run: whether it starts with "audit is started" and ends with "audit is completed"
     */
    record Result(long lines, boolean finished, boolean complete) {
    }

    private final Intake intake;
    private final SpoolMetrics metrics;
    private final int maxRecordBytes;
    private final boolean forwardControlLines;
    private final byte[] chunk = new byte[64 * 1024];

    ExportFileReader(Intake intake, SpoolMetrics metrics, int maxRecordBytes, boolean forwardControlLines) {
        this.intake = intake;
        this.metrics = metrics;
        this.maxRecordBytes = maxRecordBytes;
        this.forwardControlLines = forwardControlLines;
    }

    /**
     * Reads {@code file} into the journal, without syncing it.
     *
     * @param keepReading asked between chunks; once it says no, the file is left half read
     * @throws java.nio.file.NoSuchFileException when the file is gone before it could be opened
     */
    Result read(ExportFile file, BooleanSupplier keepReading) throws IOException {
        try (InputStream in = Files.newInputStream(file.path())) {
            return read(file, in, keepReading);
        }
    }

    /** Reads {@code file}'s bytes, already copied out of it ({@code len} bytes from {@code buf}), into the journal. */
    Result read(ExportFile file, byte[] buf, int len, BooleanSupplier keepReading) throws IOException {
        FileLines lines = new FileLines(file);
        LineFramer framer = new LineFramer(maxRecordBytes, lines);
        for (int off = 0; off < len; off += chunk.length) {
            framer.feed(buf, off, Math.min(chunk.length, len - off));
            if (!keepReading.getAsBoolean()) {
                return new Result(lines.number, false, false);
            }
        }
        framer.endOfStream();
        return new Result(lines.number, true, lines.startedFirst && lines.completedLast);
    }

    /** Reads what {@code in} gives of {@code file} into the journal. */
    Result read(ExportFile file, InputStream in, BooleanSupplier keepReading) throws IOException {
        FileLines lines = new FileLines(file);
        LineFramer framer = new LineFramer(maxRecordBytes, lines);
        int n;
        while ((n = in.read(chunk)) >= 0) {
            framer.feed(chunk, 0, n);
            if (!keepReading.getAsBoolean()) {
                return new Result(lines.number, false, false);
            }
        }
        framer.endOfStream();
        return new Result(lines.number, true, lines.startedFirst && lines.completedLast);
    }

    /** The lines of one file. */
    private final class FileLines implements LineFramer.LineHandler {
        private final ExportFile file;
        private final String source;
        private final String idPrefix;
        long number;
        boolean startedFirst;
        boolean completedLast;

        FileLines(ExportFile file) {
            this.file = file;
            this.source = file.kind().source;
            this.idPrefix = file.displayName() + ':';
        }

        @Override
        public void onLine(byte[] buf, int off, int len) {
            number++;
            metrics.recordRead(file.kind());
            completedLast = false;
            intake.offer(source, buf, off, len, idPrefix + number, this::label);
        }

        /** Audit control lines get an event type of their own; every audit record carries its run id. */
        private Intake.Label label(DecisionFields fields) {
            String control = file.kind() == ExportFile.Kind.AUDIT ? controlType(fields) : null;
            if (number == 1) {
                startedFirst = AUDIT_STARTED.equals(control);
            }
            completedLast = AUDIT_COMPLETED.equals(control);
            if (control != null && !forwardControlLines) {
                return null;
            }
            String runId = file.kind() == ExportFile.Kind.AUDIT ? fields.id() : null;
            // control lines are keyed by run, so that a run's start and completion reach one partition in order
            return control != null ? new Intake.Label(control, runId, runId, runId)
                    : new Intake.Label(fields.eventType(), fields.resourceKey(), fields.constraintKey(), runId);
        }

        @Override
        public void onTooLong(byte[] head, int off, int len) {
            number++;
            metrics.recordRead(file.kind());
            completedLast = false;
            intake.reject(source, RejectReason.TOO_LARGE, "line " + number + " of " + file.displayName()
                    + " is longer than " + maxRecordBytes + " bytes", head, off, len);
        }
    }

    /** The event type of an audit control line (no {@code eventType}, a fixed message), or {@code null}. */
    private static String controlType(DecisionFields fields) {
        if (fields.eventType() != null) {
            return null;
        }
        if (STARTED_MESSAGE.equals(fields.message())) {
            return AUDIT_STARTED;
        }
        if (COMPLETED_MESSAGE.equals(fields.message())) {
            return AUDIT_COMPLETED;
        }
        return null;
    }
}
