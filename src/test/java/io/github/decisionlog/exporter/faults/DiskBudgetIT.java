package io.github.decisionlog.exporter.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.support.TopicReader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantees 4 and 8, bounded disk inside the volume, against the real exporter process: Kafka is down, producers
 * keep streaming, and the journal reaches its cap (or its file system fills up). By default the exporter stops reading
 * (back-pressure) and loses nothing; with {@code when-full=drop} it drops and counts every drop, and tells the
 * producer which. What the journal has on disk, as du measures it, never passes the cap. Journal files roll every
 * second here, so that acknowledged files can be deleted soon after Kafka is back.
 */
class DiskBudgetIT extends FaultTest {

    private static final String ROLL_EVERY_SECOND = "TEST_SECONDLY";

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void fullJournalAppliesBackPressureStaysUnderItsCapOnDiskAndLosesNothing() throws Exception {
        long budget = 96L << 20;
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            String topic = "budget-block";
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter("exporter.journal.max-size", "96MB",
                            "exporter.journal.roll-cycle", ROLL_EVERY_SECOND))) {
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                        Long.MAX_VALUE, 0);
                DiskUsageSampler du = new DiskUsageSampler(dir.resolve("exporter").resolve("journal"));
                try {
                    Faults.await("journal full", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_journal_full"), v -> v == 1);
                    long acceptedWhenFull = accepted(producers);
                    Thread.sleep(3_000);
                    var full = exporter.scrape();
                    long acceptedWhileFull = accepted(producers) - acceptedWhenFull;
                    assertThat(full.value("decisionlog_journal_full")).isEqualTo(1);
                    assertThat(full.value("decisionlog_journal_max_size_bytes")).isEqualTo(budget);

                    broker.start();
                    TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
                    Faults.await("journal has room again", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_journal_full"), v -> v == 0);
                    Thread.sleep(2_000);
                    Faults.finish(producers, Duration.ofSeconds(60));
                    Faults.await("backlog after the broker started", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);
                    var after = exporter.scrape();
                    du.close();

                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    Tally.print(String.format("disk cap (block): full at %d acknowledged, %d more in the 3 s "
                            + "while full; unacknowledged %.0f MiB, files %.0f MiB while full of a %d MiB cap; "
                            + "largest du of the journal %.1f MiB in %d samples; files %.0f MiB after the drain; "
                            + "dropped %.0f", acceptedWhenFull, acceptedWhileFull,
                            full.value("decisionlog_backlog_size_bytes") / (1 << 20),
                            full.value("decisionlog_journal_size_bytes") / (1 << 20), budget >> 20,
                            du.largest() / (double) (1 << 20), du.samples(),
                            after.value("decisionlog_journal_size_bytes") / (1 << 20),
                            after.value("decisionlog_records_dropped_total")));
                    tally.summary("fullJournalAppliesBackPressureStaysUnderItsCapOnDiskAndLosesNothing");

                    assertThat(du.samples()).as("du samples").isGreaterThan(100);
                    assertThat(du.largest()).as("the journal on disk, as du measures it").isLessThanOrEqualTo(budget);
                    assertThat(acceptedWhileFull).as("records acknowledged while the journal was full")
                            .isLessThan(2 * 20_000);
                    assertThat(after.value("decisionlog_records_dropped_total")).isZero();
                    assertThat(producers).allSatisfy(p -> {
                        assertThat(p.writeErrors()).isZero();
                        assertThat(p.rejected().cardinality()).isZero();
                    });
                    assertThat(tally.accepted()).isEqualTo(tally.sent());
                    assertThat(tally.missing()).isZero();
                    assertThat(tally.problems()).isEmpty();
                } finally {
                    du.close();
                    Faults.closeAll(producers);
                }
            }
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void dropPolicyCountsEveryDropAndTellsTheProducer() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            String topic = "budget-drop";
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter("exporter.journal.max-size", "64MB",
                            "exporter.journal.when-full", "drop",
                            "exporter.journal.roll-cycle", ROLL_EVERY_SECOND))) {
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true, 75_000, 0);
                try {
                    Faults.awaitDone(producers, Duration.ofSeconds(60));
                    var full = exporter.scrape();
                    broker.start();
                    TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
                    Faults.await("backlog after the broker started", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);

                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    long rejected = producers.stream().mapToLong(p -> p.rejected().cardinality()).sum();
                    double dropped = full.value("decisionlog_records_dropped_total", "reason", "journal_full");
                    long droppedFound = producers.stream().mapToLong(p -> {
                        var r = p.rejected();
                        return r.stream().filter(seq -> tally.found(p.id(), seq)).count();
                    }).sum();
                    Tally.print(String.format("disk budget (drop): dropped %.0f (counted), producers told of %d "
                            + "(reasons %s), dropped records found in Kafka %d", dropped, rejected,
                            producers.get(0).rejectReasons(), droppedFound));
                    tally.summary("dropPolicyCountsEveryDropAndTellsTheProducer");

                    assertThat(dropped).as("records dropped").isPositive();
                    assertThat(rejected).as("drops the producers were told of").isEqualTo((long) dropped);
                    assertThat(tally.accepted() + rejected).isEqualTo(tally.sent());
                    assertThat(droppedFound).isZero();
                    assertThat(tally.missing()).isZero();
                    assertThat(tally.duplicates()).isZero();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void fullFileSystemIsHandledLikeTheBudget() throws Exception {
        Path mount = dir.resolve("small-fs");
        Files.createDirectories(mount);
        Assumptions.assumeTrue(SmallFileSystem.mount(mount, "64m"),
                "skipped: cannot mount a 64 MiB tmpfs here (needs root and mount permission)");
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.create(dir.resolve("broker"), Map.of())) {
            String topic = "small-fs";
            try (ExporterProcess exporter = ExporterProcess.create(dir.resolve("exporter"),
                    broker.bootstrapServers(), topic, FaultSettings.exporter(
                            "exporter.journal.dir", mount.resolve("journal").toString(),
                            "exporter.journal.min-free-disk", "24MB",
                            "exporter.journal.roll-cycle", ROLL_EVERY_SECOND))) {
                exporter.start();
                // 2 x 5,000 records/s: a one-second journal file stays well below the room the disk has
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                        Long.MAX_VALUE, 5_000);
                try {
                    Faults.await("journal full", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_journal_full"), v -> v == 1);
                    Thread.sleep(3_000);
                    assertThat(exporter.isRunning()).as("exporter alive on a full file system").isTrue();
                    long freeWhileFull = Files.getFileStore(mount).getUsableSpace();

                    broker.start();
                    TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
                    Faults.await("journal has room again", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_journal_full"), v -> v == 0);
                    Thread.sleep(2_000);
                    Faults.finish(producers, Duration.ofSeconds(60));
                    Faults.await("backlog after the broker started", Duration.ofSeconds(60),
                            () -> exporter.scrape().value("decisionlog_backlog_records"), v -> v == 0);

                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    Tally.print(String.format("full file system (64 MiB tmpfs): %d MiB free while full; dropped %.0f",
                            freeWhileFull >> 20, exporter.scrape().value("decisionlog_records_dropped_total")));
                    tally.summary("fullFileSystemIsHandledLikeTheBudget");

                    assertThat(producers).allSatisfy(p -> assertThat(p.writeErrors()).isZero());
                    assertThat(tally.accepted()).isEqualTo(tally.sent());
                    assertThat(tally.missing()).isZero();
                    assertThat(tally.problems()).isEmpty();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        } finally {
            SmallFileSystem.unmount(mount);
        }
    }

    /**
     * Kafka is up and acknowledges everything, but the journal's current file alone reaches the cap (80 MB of ingest
     * within one minute, the default roll cycle): a journal whose every record Kafka acknowledged must make room once
     * that cycle ends, not hold the producers back for good.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void journalFullOfAcknowledgedRecordsMakesRoomAgain() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"))) {
            String topic = Faults.newTopic(broker, "budget-acknowledged");
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter"), broker.bootstrapServers(),
                    topic, FaultSettings.exporter("exporter.journal.max-size", "64MB"))) {
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true, 40_000, 0);
                try {
                    try {
                        Faults.awaitDone(producers, Duration.ofSeconds(150));
                    } finally {
                        var m = exporter.scrape();
                        Tally.print(String.format("disk cap (all acknowledged): journal full %.0f, %.0f MiB of "
                                + "64 MiB, backlog %.0f, published %.0f, acknowledged to producers %d of %d",
                                m.value("decisionlog_journal_full"), m.value("decisionlog_journal_size_bytes") / (1 << 20),
                                m.value("decisionlog_backlog_records"), m.value("decisionlog_records_published_total"),
                                accepted(producers), producers.stream().mapToLong(StreamingProducer::sent).sum()));
                    }
                    Tally tally = Faults.readAndCount(broker, topic, producers, Duration.ofSeconds(60));
                    tally.summary("journalFullOfAcknowledgedRecordsMakesRoomAgain");
                    assertThat(tally.accepted()).isEqualTo(80_000);
                    assertThat(tally.missing()).isZero();
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
    }

    private static long accepted(List<StreamingProducer> producers) {
        return producers.stream().mapToLong(p -> p.accepted().cardinality()).sum();
    }
}
