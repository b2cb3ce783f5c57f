package io.github.decisionlog.exporter.journal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An append that fails leaves nothing in the journal: the publisher never meets half an entry. */
class JournalAppendFailureTest {

    @TempDir
    Path dir;

    private Journal open() {
        Journal journal = new Journal(TestSettings.exporter(Map.of("journal.dir", dir.toString(),
                "journal.min-free-disk", "1MB")), new SimpleMeterRegistry());
        journal.start();
        return journal;
    }

    private static long append(Journal journal, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return journal.append(new RecordMeta("socket", null, "violation_audited", "Pod/ns/a", null, null), b, 0, b.length);
    }

    private static List<String> readAll(Journal journal) {
        List<String> out = new ArrayList<>();
        try (JournalReader reader = journal.reader()) {
            for (JournalEntry e; (e = reader.next()) != null; ) {
                out.add(new String(e.payload(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void aRecordLargerThanAnEntryHoldsIsRefusedWithAClearMessage() {
        Journal journal = open();
        append(journal, "{\"n\":1}");
        byte[] tooLarge = new byte[(int) DataSize.parse(ExporterProperties.LARGEST_RECORD).toBytes() + 1];
        assertThatThrownBy(() -> journal.append(new RecordMeta("socket", null, null, null, null, null), tooLarge, 0,
                tooLarge.length))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(tooLarge.length))
                .hasMessageContaining(ExporterProperties.LARGEST_RECORD);
        append(journal, "{\"n\":2}");
        assertThat(readAll(journal)).containsExactly("{\"n\":1}", "{\"n\":2}");
        assertThat(journal.backlogRecords()).isEqualTo(2);
        journal.stop();
    }

    /** Metadata too long for an entry (the record itself passes the size check): the write fails half way. */
    @Test
    void anAppendThatFailsWhileWritingLeavesNoPartialEntry() {
        Journal journal = open();
        append(journal, "{\"n\":1}");
        byte[] b = "{\"n\":\"lost\"}".getBytes(StandardCharsets.UTF_8);
        RecordMeta hugeKey = new RecordMeta("socket", null, null, "k".repeat(3_000_000), null, null);
        assertThatThrownBy(() -> journal.append(hugeKey, b, 0, b.length))
                .hasMessageContaining("journal");
        append(journal, "{\"n\":2}");
        assertThat(readAll(journal)).containsExactly("{\"n\":1}", "{\"n\":2}");
        assertThat(journal.backlogRecords()).isEqualTo(2);
        journal.stop();

        Journal reopened = open();
        assertThat(readAll(reopened)).containsExactly("{\"n\":1}", "{\"n\":2}");
        assertThat(reopened.backlogRecords()).isEqualTo(2);
        reopened.stop();
    }
}
