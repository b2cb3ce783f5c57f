package io.github.decisionlog.exporter.packaging;

import static io.github.decisionlog.exporter.packaging.Chart.values;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad values fail the render with a message that names what to fix. */
class ChartSchemaTest {

    @TempDir
    Path work;

    private void rejects(Map<String, Object> values, String... messageParts) {
        assertThatThrownBy(() -> Chart.exporter().template(values, work))
                .message().contains(messageParts);
    }

    @Test
    void maxAuditResultsZeroIsRejectedBecauseGatekeeperWouldDeleteEveryFileAtOnce() {
        rejects(values("gatekeeper.audit.maxAuditResults", 0), "maxAuditResults", "1");
    }

    @Test
    void illegalTopicNameIsRejected() {
        rejects(values("kafka.topic", "gatekeeper decisions!"), "topic");
    }

    @Test
    void bootstrapServersWithoutPortsAreRejected() {
        rejects(values("kafka.bootstrapServers", "kafka-0,kafka-1"), "bootstrapServers");
    }

    @Test
    void unknownValueIsRejected() {
        rejects(values("kafka.bootstrapServer", "kafka:9092"), "bootstrapServer");
    }

    @Test
    void managementPortOfGatekeepersHealthEndpointIsRejected() {
        rejects(values("exporter.managementPort", 9090),
                "exporter.managementPort 9090 is gatekeeper.healthPort, which Gatekeeper's manager already listens on");
        rejects(values("exporter.managementPort", 9092, "gatekeeper.healthPort", 9092),
                "exporter.managementPort 9092 is gatekeeper.healthPort");
    }

    @Test
    void writableRootFilesystemIsRejected() {
        rejects(values("exporter.securityContext.readOnlyRootFilesystem", false), "readOnlyRootFilesystem");
    }

    @Test
    void journalUnderTheExportPathIsRejected() {
        rejects(values("exporter.stateDir", "/tmp/violations/journal"),
                "exporter.stateDir /tmp/violations/journal overlaps Gatekeeper's export directory");
    }

    @Test
    void tlsWithoutSecretIsRejected() {
        rejects(values("kafka.tls.enabled", true), "secretName");
    }

    @Test
    void gatekeeperValuesNeedTheKafkaBrokers() {
        rejects(values("output", "gatekeeperValues"), "kafka.bootstrapServers is required");
    }

    @Test
    void unknownOutputIsRejected() {
        rejects(values("output", "everything"), "output");
    }
}
