package io.github.decisionlog.exporter.observe;

import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.publish.Publisher;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.stereotype.Component;

/**
 * How far behind Kafka the exporter is, computed from the journal and the acknowledged position, so the numbers are
 * true after a restart too.
 */
@Component
public class BacklogMetrics implements MeterBinder {

    private final Journal journal;
    private final Publisher publisher;

    public BacklogMetrics(Journal journal, Publisher publisher) {
        this.journal = journal;
        this.publisher = publisher;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("decisionlog.backlog.records", journal, Journal::backlogRecords)
                .description("Records in the journal that Kafka has not acknowledged")
                .register(registry);
        Gauge.builder("decisionlog.backlog.age", this, BacklogMetrics::oldestUnacknowledgedAgeSeconds)
                .description("Age of the oldest record Kafka has not acknowledged; 0 when there is none")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("decisionlog.backlog.size", journal, Journal::backlogBytes)
                .description("Bytes of the records Kafka has not acknowledged")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("decisionlog.journal.size", journal, Journal::bytesOnDisk)
                .description("Bytes of everything the journal has on disk, acknowledged or not")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("decisionlog.journal.max.size", journal, Journal::maxBytes)
                .description("The cap on the journal's files (exporter.journal.max-size)")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("decisionlog.journal.full", journal, j -> j.isFull() ? 1 : 0)
                .description("1 while the journal's files are at their cap (or records wait and the disk is nearly "
                        + "full): sources wait (back-pressure), else 0")
                .register(registry);
        Gauge.builder("decisionlog.publish.inflight", publisher, Publisher::inFlight)
                .description("Records sent to Kafka and not yet acknowledged")
                .register(registry);
        Gauge.builder("decisionlog.drain.records.left", publisher, Publisher::drainLeft)
                .description("0 while running; on stop, the records still to send before the drain deadline, and "
                        + "once the drain has ended the records it left in the journal")
                .register(registry);
        FunctionCounter.builder("decisionlog.journal.appended", journal, Journal::appendedCount)
                .description("Records appended to the journal since start")
                .register(registry);
        FunctionCounter.builder("decisionlog.journal.acknowledged", journal, Journal::acknowledgedCount)
                .description("Journal records acknowledged by Kafka since start")
                .register(registry);
    }

    /** Seconds since the oldest record Kafka has not acknowledged was received; 0 when there is none. */
    public double oldestUnacknowledgedAgeSeconds() {
        long oldest = publisher.oldestUnacknowledgedReceivedAt();
        if (oldest == 0 || journal.backlogRecords() == 0) {
            return 0;
        }
        return Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
    }
}
