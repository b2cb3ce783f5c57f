package io.github.decisionlog.exporter.faults;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantee 1's price: how many records a second the exporter acknowledges to producers under each
 * {@code exporter.journal.sync} setting, on this machine. Ingest only: no broker listens, so the publisher only
 * retries and the numbers are the journal's. Printed for docs/guarantees.md; the test checks only that every setting works.
 */
class SyncCostIT extends FaultTest {

    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration MEASURED = Duration.ofSeconds(5);

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void syncSettingsAcknowledgedIngestThroughput() throws Exception {
        int noBroker = FreePorts.next();
        Map<String, Double> perSecond = new LinkedHashMap<>();
        for (String sync : List.of("none", "batch", "always")) {
            try (ExporterProcess exporter = ExporterProcess.start(dir.resolve("exporter-" + sync),
                    "127.0.0.1:" + noBroker, "sync-" + sync, FaultSettings.exporter("exporter.journal.sync", sync,
                            "exporter.publish.retry-initial-backoff", "1s"))) {
                List<StreamingProducer> producers = Faults.startProducers(2, exporter.socket(), true,
                        Long.MAX_VALUE, 0);
                try {
                    Thread.sleep(WARM_UP.toMillis());
                    long from = accepted(producers);
                    long start = System.nanoTime();
                    Thread.sleep(MEASURED.toMillis());
                    long n = accepted(producers) - from;
                    double seconds = (System.nanoTime() - start) / 1e9;
                    perSecond.put(sync, n / seconds);
                    Faults.finish(producers, Duration.ofSeconds(30));
                    assertThat(producers).allSatisfy(p -> assertThat(p.writeErrors()).isZero());
                } finally {
                    Faults.closeAll(producers);
                }
            }
        }
        StringBuilder line = new StringBuilder("sync cost: acknowledged ingest, 2 producers, ~1 KB records:");
        perSecond.forEach((sync, rate) -> line.append(String.format(" %s=%.0f/s", sync, rate)));
        Tally.print(line.toString());
        assertThat(perSecond.values()).allSatisfy(rate -> assertThat(rate).isPositive());
    }

    private static long accepted(List<StreamingProducer> producers) {
        return producers.stream().mapToLong(p -> p.accepted().cardinality()).sum();
    }
}
