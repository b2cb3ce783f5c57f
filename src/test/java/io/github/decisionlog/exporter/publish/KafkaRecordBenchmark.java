package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.RecordMeta;
import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.TestSettings;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Building the Kafka record (key and headers) from a journal entry. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KafkaRecordBenchmark {

    private KafkaRecords records;
    private JournalEntry entry;

    @Setup
    public void setUp() {
        records = new KafkaRecords(TestSettings.exporter(Map.of()).publish());
        entry = new JournalEntry(0x5b562e000001f4L, System.currentTimeMillis(), "68351d69b4de669d-5b562e000001f4",
                new RecordMeta("socket", null, "violation_audited", "Pod/team-1/pod-1-2", null, null),
                DecisionRecords.violation(1, 2, 3).getBytes(StandardCharsets.UTF_8), 1100);
    }

    @Benchmark
    public ProducerRecord<byte[], byte[]> toRecord() {
        return records.toRecord(entry);
    }
}
