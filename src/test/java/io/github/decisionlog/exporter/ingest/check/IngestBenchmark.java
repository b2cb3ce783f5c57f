package io.github.decisionlog.exporter.ingest.check;

import io.github.decisionlog.exporter.ingest.LineFramer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.TestSettings;
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
import org.openjdk.jmh.infra.Blackhole;

/** Framing and checking one 1 KB Gatekeeper-shaped record: the per-record work of every source. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IngestBenchmark {

    private byte[] record;
    private byte[] chunk;
    private RecordChecker checker;
    private final RedactionScan scan = new RedactionScan();
    private LineFramer framer;
    private Blackhole sink;

    @Setup
    public void setUp(Blackhole blackhole) {
        record = DecisionRecords.violation(1, 2, 3).getBytes(StandardCharsets.UTF_8);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            lines.append(DecisionRecords.violation(1, i, i)).append('\n');
        }
        chunk = lines.toString().getBytes(StandardCharsets.UTF_8);
        checker = new RecordChecker(new RedactionRules(TestSettings.exporter(Map.of()).redact()));
        sink = blackhole;
        framer = new LineFramer(1 << 20, new LineFramer.LineHandler() {
            @Override
            public void onLine(byte[] buf, int off, int len) {
                sink.consume(len);
            }

            @Override
            public void onTooLong(byte[] head, int off, int len) {
            }
        });
    }

    /** UTF-8 validation, one streaming JSON pass and the key fields, per record. */
    @Benchmark
    public DecisionFields checkRecord() throws RecordChecker.Rejected {
        return checker.check(record, 0, record.length, scan);
    }

    /** Cutting 64 records out of one socket read. */
    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(64)
    public void frameLines() {
        framer.feed(chunk, 0, chunk.length);
    }
}
