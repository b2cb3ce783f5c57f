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

    @Test
    void controllerManagerPatchIsGone() {
        // it mounted a socket that nothing in Gatekeeper's pods writes to
        rejects(values("output", "controllerManagerPatch"), "output");
    }

    private static Map<String, Object> gatekeeperValues(Object... more) {
        Object[] all = new Object[more.length + 4];
        all[0] = "output";
        all[1] = "gatekeeperValues";
        all[2] = "kafka.bootstrapServers";
        all[3] = "kafka:9093";
        System.arraycopy(more, 0, all, 4, more.length);
        return values(all);
    }

    @Test
    void gatekeeperBefore321IsRefusedBecauseItsChartHasNoExtraVolumes() {
        rejects(gatekeeperValues("gatekeeper.version", "3.20.2"), "gatekeeper.version 3.20.2: Gatekeeper 3.21 is the minimum");
    }

    @Test
    void admissionExportIsRefusedForReleasedGatekeeper() {
        rejects(gatekeeperValues("gatekeeper.admission.enabled", true),
                "gatekeeper.admission.enabled needs Gatekeeper's chart 3.24", "gatekeeper.version is 3.23.0", "--log-denies");
    }

    @Test
    void stateVolumeWithoutSizeLimitIsRefused() {
        rejects(gatekeeperValues("exporter.stateVolume.sizeLimit", ""), "/exporter/stateVolume/sizeLimit");
        rejects(gatekeeperValues("exporter.stateVolume.sizeLimit", "lots"), "/exporter/stateVolume/sizeLimit");
    }

    @Test
    void stateVolumeTooSmallForTheSmallestJournalIsRefused() {
        rejects(gatekeeperValues("exporter.stateVolume.sizeLimit", "100Mi"),
                "exporter.stateVolume.sizeLimit 100Mi leaves 36MB for the journal after exporter.stateVolume.headroom 64Mi",
                "at least 64MB");
        rejects(gatekeeperValues("exporter.stateVolume.sizeLimit", "1Gi", "exporter.stateVolume.headroom", "1000Mi"),
                "leaves 24MB");
    }

    @Test
    void claimAsStateVolumeIsRefusedBecauseExtraVolumesReachEveryControllerManagerReplica() {
        rejects(gatekeeperValues("exporter.stateVolume.persistentVolumeClaim", Map.of("claimName", "journal")),
                "exporter.stateVolume.persistentVolumeClaim", "every pod, audit and all controller-manager replicas");
    }

    @Test
    void admissionExportNeedsAnExportVolumeLargeEnoughForTheJournalAndGatekeepersSegments() {
        rejects(gatekeeperValues("gatekeeper.version", "3.24.0", "gatekeeper.admission.enabled", true,
                "gatekeeper.audit.exportVolumeSizeLimit", ""), "gatekeeper.admission.enabled needs gatekeeper.audit.exportVolumeSizeLimit");
        rejects(gatekeeperValues("gatekeeper.version", "3.24.0", "gatekeeper.admission.enabled", true,
                "gatekeeper.audit.exportVolumeSizeLimit", "160Mi"),
                "gatekeeper.audit.exportVolumeSizeLimit 160Mi leaves 32MB for the controller-manager exporter's journal");
        rejects(gatekeeperValues("gatekeeper.version", "3.24.0", "gatekeeper.admission.enabled", true,
                "gatekeeper.admission.gatekeeperReserve", "8Mi"), "gatekeeper.admission.gatekeeperReserve 8Mi is too small");
    }

    @Test
    void admissionJournalInsideTheExportPathIsRefused() {
        rejects(gatekeeperValues("gatekeeper.version", "3.24.0", "gatekeeper.admission.enabled", true,
                "gatekeeper.audit.exportPath", "/tmp/violations/decision-log-exporter"),
                "gatekeeper.audit.exportPath /tmp/violations/decision-log-exporter overlaps");
    }

    @Test
    void drainMarginThatLeavesNoTimeToDrainIsRefused() {
        rejects(gatekeeperValues("exporter.drain.marginSeconds", 60),
                "exporter.drain.marginSeconds 60 leaves no time to drain within gatekeeper.terminationGracePeriodSeconds 60");
    }

    @Test
    void saslWithoutTlsIsRefusedUnlessPlaintextIsAllowedExplicitly() throws Exception {
        rejects(gatekeeperValues("kafka.sasl.enabled", true, "kafka.sasl.secretName", "kafka-user"),
                "kafka.sasl.enabled without kafka.tls.enabled", "kafka.sasl.allowPlaintext");
        Chart.exporter().template(gatekeeperValues("kafka.sasl.enabled", true, "kafka.sasl.secretName", "kafka-user",
                "kafka.sasl.allowPlaintext", true), work);
    }

    @Test
    void serviceMonitorAndPodMonitorTogetherAreRefusedBecauseBothWouldScrapeTheAuditPod() {
        rejects(values("metrics.serviceMonitor.enabled", true, "metrics.podMonitor.enabled", true),
                "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled");
    }
}
