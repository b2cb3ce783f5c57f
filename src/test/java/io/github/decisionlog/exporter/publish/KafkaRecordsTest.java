package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Publish.HeaderStyle;
import io.github.decisionlog.exporter.ExporterProperties.Publish.KeyStrategy;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.RecordMeta;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaRecordsTest {

    private static final JournalEntry ENTRY = new JournalEntry(7, 1_790_000_000_000L, "j-7",
            new RecordMeta("socket", null, "violation_audited", "Pod/ns/p", "K8sRequiredLabels/owner", "run-1",
                    null, 2), "{}".getBytes(), 60);
    private static final JournalEntry REJECT = new JournalEntry(8, 1_790_000_000_000L, "j-8",
            RecordMeta.rejected("datagram", null, "not_json"), "nope".getBytes(), 40);

    private static KafkaRecords records(KeyStrategy key, HeaderStyle headers, String rejectsTopic) {
        return new KafkaRecords(new ExporterProperties.Publish("decisions", 10, null, Duration.ofMillis(1),
                Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofMillis(1), "", 1, rejectsTopic, key, headers,
                "/decision-log-exporter/{source}", ExporterProperties.Publish.Delivery.AT_LEAST_ONCE,
                Duration.ofMillis(100), 5000, "offsets", "p-"));
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String key(ProducerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    @Test
    void eachKeyStrategyGivesItsKey() {
        assertThat(key(records(KeyStrategy.RESOURCE, HeaderStyle.PLAIN, "").toRecord(ENTRY))).isEqualTo("Pod/ns/p");
        assertThat(key(records(KeyStrategy.CONSTRAINT, HeaderStyle.PLAIN, "").toRecord(ENTRY)))
                .isEqualTo("K8sRequiredLabels/owner");
        assertThat(key(records(KeyStrategy.RECORD_ID, HeaderStyle.PLAIN, "").toRecord(ENTRY))).isEqualTo("j-7");
        assertThat(key(records(KeyStrategy.NONE, HeaderStyle.PLAIN, "").toRecord(ENTRY))).isNull();
    }

    @Test
    void plainHeadersAreTheDefaultOnesAndSayWhatRedactionDid() {
        ProducerRecord<byte[], byte[]> r = records(KeyStrategy.RESOURCE, HeaderStyle.PLAIN, "").toRecord(ENTRY);
        assertThat(r.topic()).isEqualTo("decisions");
        assertThat(header(r, "record_id")).isEqualTo("j-7");
        assertThat(header(r, "event_type")).isEqualTo("violation_audited");
        assertThat(header(r, "source")).isEqualTo("socket");
        assertThat(header(r, "received_at")).isEqualTo("2026-09-21T14:13:20Z");
        assertThat(header(r, "run_id")).isEqualTo("run-1");
        assertThat(header(r, "redacted")).isEqualTo("2");
    }

    @Test
    void cloudEventsHeadersFollowTheKafkaBindingsBinaryMode() {
        ProducerRecord<byte[], byte[]> r = records(KeyStrategy.RESOURCE, HeaderStyle.CLOUDEVENTS, "").toRecord(ENTRY);
        assertThat(header(r, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(r, "ce_id")).isEqualTo("j-7");
        assertThat(header(r, "ce_source")).isEqualTo("/decision-log-exporter/socket");
        assertThat(header(r, "ce_type")).isEqualTo("sh.gatekeeper.violation_audited");
        assertThat(header(r, "ce_time")).isEqualTo("2026-09-21T14:13:20Z");
        assertThat(header(r, "content-type")).isEqualTo("application/json");
        assertThat(header(r, "ce_runid")).isEqualTo("run-1");
        assertThat(header(r, "ce_redacted")).isEqualTo("2");
        assertThat(header(r, "record_id")).isNull();
    }

    @Test
    void aRefusedRecordGoesToTheRejectsTopicWithItsReasonOrNowhere() {
        ProducerRecord<byte[], byte[]> r = records(KeyStrategy.RESOURCE, HeaderStyle.PLAIN, "rejects").toRecord(REJECT);
        assertThat(r.topic()).isEqualTo("rejects");
        assertThat(header(r, "reject_reason")).isEqualTo("not_json");
        assertThat(r.key()).isNull();
        ProducerRecord<byte[], byte[]> ce = records(KeyStrategy.RESOURCE, HeaderStyle.CLOUDEVENTS, "rejects")
                .toRecord(REJECT);
        assertThat(header(ce, "ce_type")).isEqualTo("io.github.decisionlog.rejected");
        assertThat(header(ce, "content-type")).isEqualTo("application/octet-stream");
        assertThat(records(KeyStrategy.RESOURCE, HeaderStyle.PLAIN, "").toRecord(REJECT)).isNull();
    }
}
