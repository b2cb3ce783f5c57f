package io.github.decisionlog.exporter.journal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Appending one 1 KB record to the journal, and reading it back as the publisher does. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JournalBenchmark {

    @Param({"none", "batch"})
    public String sync;

    @Param({"MINUTELY"})
    public String rollCycle;

    /** 0: the appender faults each new page in itself (only {@code sync: none} touches ahead; see PageToucher). */
    @Param({"4MB", "0"})
    public String touchAhead;

    private Path dir;
    private Journal journal;
    private JournalReader reader;
    private byte[] record;
    private final RecordMeta meta = new RecordMeta("socket", null, "violation_audited", "Pod/team-1/pod-1-2", null, null);

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("journal-bench");
        journal = new Journal(TestSettings.exporter(Map.of("journal.dir", dir.toString(), "journal.sync", sync, "journal.roll-cycle", rollCycle,
                "journal.max-size", "100GB", "journal.min-free-disk", "1MB", "journal.touch-ahead", touchAhead)), new SimpleMeterRegistry());
        journal.start();
        record = DecisionRecords.violation(1, 2, 3).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 100_000; i++) {
            journal.append(meta, record, 0, record.length);
        }
        reader = journal.reader();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        reader.close();
        journal.stop();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public long append() {
        return journal.append(meta, record, 0, record.length);
    }

    /** Reading one record back as the publisher does, from a journal of 100,000 (appended once, read round). */
    @Benchmark
    public JournalEntry read() {
        JournalEntry e = reader.next();
        if (e == null) {
            reader.rewind();
            e = reader.next();
        }
        return e;
    }

    /** Append then read back: the journal's whole share of one record's trip. */
    @Benchmark
    public JournalEntry appendAndRead() {
        journal.append(meta, record, 0, record.length);
        return reader.next();
    }
}
