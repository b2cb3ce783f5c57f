package io.github.decisionlog.exporter.observe;

import java.time.Duration;
import java.time.Instant;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ingest.socket.DatagramSource;
import io.github.decisionlog.exporter.ingest.gatekeeper.GatekeeperSpoolSource;
import io.github.decisionlog.exporter.ingest.socket.SocketSource;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.publish.Publisher;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The exporter's health components. Readiness ({@code intake}) means "I am up": sources bound, journal open. It never
 * depends on Kafka nor on a full journal: a sidecar that is not ready takes the whole Gatekeeper pod out of its
 * Service, and in the controller-manager pods a long Kafka outage fills every replica's journal at about the same
 * time, which would take every webhook endpoint away at once. A full journal is a detail here, a metric and an alert.
 * Liveness ({@code pipeline}) fails only when the exporter is truly stuck. {@code kafka} and {@code backlog} are shown
 * in the details only.
 */
@Configuration(proxyBeanMethods = false)
class HealthIndicators {

    @Bean
    HealthIndicator intakeHealthIndicator(SocketSource socket, DatagramSource datagram, GatekeeperSpoolSource spool,
            Journal journal, ExporterProperties properties) {
        return () -> {
            boolean socketUp = !properties.socket().enabled() || socket.isListening();
            boolean datagramUp = !properties.datagram().enabled() || datagram.isListening();
            boolean spoolUp = !properties.gatekeeper().enabled() || spool.isRunning();
            Health.Builder health = socketUp && datagramUp && spoolUp && journal.isRunning()
                    ? Health.up() : Health.status(Status.OUT_OF_SERVICE);
            return health.withDetail("socketListening", socketUp)
                    .withDetail("datagramListening", datagramUp)
                    .withDetail("gatekeeperReaderRunning", spoolUp)
                    .withDetail("journalOpen", journal.isRunning())
                    .withDetail("journalFull", journal.isFull())
                    .build();
        };
    }

    @Bean
    HealthIndicator pipelineHealthIndicator(Publisher publisher, Journal journal, KafkaConnectivity kafka,
            ExporterProperties properties) {
        Duration stuckAfter = properties.health().stuckAfter();
        return () -> {
            if (!publisher.isAlive()) {
                return Health.down().withDetail("reason", "the publisher thread has ended").build();
            }
            String stopped = publisher.stoppedReason();
            if (stopped != null) { // UP: a restart would only fence the exporter that took over, and so on
                return Health.up().withDetail("publishing", "stopped").withDetail("reason", stopped).build();
            }
            Duration sinceProgress = Duration.ofMillis(System.currentTimeMillis() - publisher.lastProgressAt());
            boolean stuck = journal.backlogRecords() > 0 && kafka.state().reachable()
                    && sinceProgress.compareTo(stuckAfter) > 0;
            Health.Builder health = stuck ? Health.down().withDetail("reason", "records wait and Kafka is reachable, "
                    + "but nothing was acknowledged for " + sinceProgress.toSeconds() + " s") : Health.up();
            return health.withDetail("lastAcknowledgedAt", Instant.ofEpochMilli(publisher.lastProgressAt()).toString())
                    .build();
        };
    }

    @Bean
    HealthIndicator kafkaHealthIndicator(KafkaConnectivity kafka, Publisher publisher) {
        return () -> {
            KafkaConnectivity.State state = kafka.state();
            Health.Builder health = state.reachable() && !publisher.isFailing() ? Health.up() : Health.down();
            health.withDetail("clusterReachable", state.reachable())
                    .withDetail("brokers", state.brokers())
                    .withDetail("sendsFailing", publisher.isFailing());
            if (state.error() != null) {
                health.withDetail("error", state.error());
            }
            return health.build();
        };
    }

    @Bean
    HealthIndicator backlogHealthIndicator(Journal journal, BacklogMetrics metrics) {
        return () -> {
            Journal.SyncStatus sync = journal.syncStatus();
            Health.Builder health = Health.up()
                    .withDetail("records", journal.backlogRecords())
                    .withDetail("oldestAgeSeconds", metrics.oldestUnacknowledgedAgeSeconds())
                    .withDetail("journalBytes", journal.bytesOnDisk())
                    .withDetail("journalMaxBytes", journal.maxBytes())
                    .withDetail("journalFull", journal.isFull())
                    .withDetail("journalSyncFailing", sync.failing())
                    .withDetail("journalSyncFailures", sync.failures());
            if (sync.lastError() != null) {
                health.withDetail("journalLastSyncError", sync.lastError());
            }
            return health.build();
        };
    }
}
