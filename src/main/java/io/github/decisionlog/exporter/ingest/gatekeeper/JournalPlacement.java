package io.github.decisionlog.exporter.ingest.gatekeeper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the journal out of Gatekeeper's export path: Gatekeeper removes the whole path when its {@code Connection}
 * changes, and versions before 3.24 count every file under a channel directory towards their retention, so the
 * exporter's own files there would be lost or would push out unread results.
 */
final class JournalPlacement {

    private JournalPlacement() {
    }

    /** Throws with a message naming both settings when {@code journalDir} is {@code exportPath} or under it. */
    static void requireOutside(Path journalDir, Path exportPath) {
        Path journal = resolved(journalDir);
        Path export = resolved(exportPath);
        if (journal.startsWith(export)) {
            throw new IllegalStateException("exporter.journal.dir (" + journalDir + ") is inside "
                    + "exporter.gatekeeper.export-path (" + exportPath + "): Gatekeeper deletes what is under its "
                    + "export path. Put the journal on a volume of its own.");
        }
    }

    /** The absolute path with symbolic links of its existing part resolved, so that two names of one place match. */
    private static Path resolved(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            return absolute;
        }
    }
}
