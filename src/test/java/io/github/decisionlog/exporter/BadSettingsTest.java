package io.github.decisionlog.exporter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.github.decisionlog.exporter.support.ExporterRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** A bad setting stops start-up with a message that names it; no broker is needed to get that far. */
class BadSettingsTest {

    @TempDir
    Path dir;

    private String startupFailure(Map<String, Object> settings) {
        return ExporterRun.startupFailure(dir, settings);
    }

    @Test
    void aRedactionPathThatIsNotAJsonPointerIsNamed() {
        assertThat(startupFailure(Map.of("exporter.redact.erase", "/input/review/object/data,input/review/oldObject")))
                .contains("exporter.redact")
                .contains("erase")
                .contains("[1] 'input/review/oldObject' is not a JSON Pointer: it must start with '/'");
    }

    @Test
    void aBadEscapeInAMaskPathIsNamed() {
        assertThat(startupFailure(Map.of("exporter.redact.mask", "/input/a~2b")))
                .contains("mask")
                .contains("'/input/a~2b' is not a JSON Pointer: '~' at 8 must be followed by 0");
    }

    @Test
    void hashMaskingWithoutASaltIsNamed() {
        assertThat(startupFailure(Map.of("exporter.redact.mask-with", "hash", "exporter.redact.mask", "/user")))
                .contains("exporter.redact.salt must be set when exporter.redact.mask-with is hash");
    }

    @Test
    void aMisspeltRollCycleIsNamedWithTheValidOnes() {
        assertThat(startupFailure(Map.of("exporter.journal.roll-cycle", "MINUTLY")))
                .contains("exporter.journal.roll-cycle")
                .contains("MINUTELY");
    }

    @Test
    void aJournalCapTooSmallForTheFilesToGrowIsNamed() {
        assertThat(startupFailure(Map.of("exporter.journal.max-size", "32MB")))
                .contains("exporter.journal.max-size must be at least 64MB");
    }

    @Test
    void aTouchAheadOutsideItsRangeIsNamed() {
        assertThat(startupFailure(Map.of("exporter.journal.touch-ahead", "16MB")))
                .contains("exporter.journal.touch-ahead must be between 0 (off) and 8MB");
        assertThat(startupFailure(Map.of("exporter.journal.touch-ahead", "-1MB")))
                .contains("exporter.journal.touch-ahead must be between 0 (off) and 8MB");
    }

    @Test
    void aRecordSizeLargerThanAJournalEntryHoldsIsNamed() {
        assertThat(startupFailure(Map.of("exporter.socket.max-record-size", "4MB")))
                .contains("exporter.socket.max-record-size must be at most 1984KB");
        assertThat(startupFailure(Map.of("exporter.gatekeeper.max-record-size", "2MB")))
                .contains("exporter.gatekeeper.max-record-size must be at most 1984KB");
        assertThat(startupFailure(Map.of("exporter.datagram.max-record-size", "2MB")))
                .contains("exporter.datagram.max-record-size must be at most 1984KB");
    }

    @Test
    void anUnknownKeyStrategyIsNamed() {
        assertThat(startupFailure(Map.of("exporter.publish.key", "partition")))
                .contains("exporter.publish.key")
                .contains("partition");
    }

    @Test
    void anUnknownHeaderStyleIsNamed() {
        assertThat(startupFailure(Map.of("exporter.publish.headers", "json")))
                .contains("exporter.publish.headers");
    }

    @Test
    void aSocketDirectoryThatCannotBeMadeIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        assertThat(startupFailure(Map.of("exporter.socket.path", file.resolve("sub/decisions.sock").toString())))
                .contains("exporter.socket.path: cannot create the directory " + file.resolve("sub"));
    }

    @Test
    void aDatagramSocketDirectoryThatCannotBeMadeIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        assertThat(startupFailure(Map.of("exporter.datagram.enabled", "true",
                "exporter.datagram.path", file.resolve("decisions.dgram").toString())))
                .contains("exporter.datagram.path: cannot create the directory " + file);
    }

    @Test
    void anUnknownSocketGroupIsNamed() {
        assertThat(startupFailure(Map.of("exporter.socket.file-group", "no-such-group-here")))
                .contains("exporter.socket.file-group: there is no group 'no-such-group-here'");
    }

    @Test
    void aUidThatIsNotANumberIsNamed() {
        assertThat(startupFailure(Map.of("exporter.socket.allowed-uids", "1000,root")))
                .contains("exporter.socket.allowed-uids");
    }
}
