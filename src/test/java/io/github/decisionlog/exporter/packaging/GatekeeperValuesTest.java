package io.github.decisionlog.exporter.packaging;

import static io.github.decisionlog.exporter.packaging.Chart.at;
import static io.github.decisionlog.exporter.packaging.Chart.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The values file the chart renders for Gatekeeper's own chart ({@code output=gatekeeperValues}): the sidecar has what
 * the exporter needs, in the keys Gatekeeper's chart reads. GatekeeperChartsTest renders Gatekeeper's real charts
 * with it.
 */
@SuppressWarnings("unchecked")
class GatekeeperValuesTest {

    static final String BROKERS = "kafka-0.kafka.svc:9093,kafka-1.kafka.svc:9093";

    @TempDir
    Path work;

    Map<String, Object> gatekeeperValues(Object... more) throws IOException {
        Object[] all = new Object[more.length + 4];
        all[0] = "output";
        all[1] = "gatekeeperValues";
        all[2] = "kafka.bootstrapServers";
        all[3] = BROKERS;
        System.arraycopy(more, 0, all, 4, more.length);
        List<Map<String, Object>> docs = Chart.exporter().render(values(all), work);
        assertThat(docs).as("one values document, nothing else").hasSize(1);
        return docs.get(0);
    }

    static Map<String, Object> env(Map<String, Object> container) {
        List<Map<String, Object>> env = at(container, "env");
        Map<String, Object> byName = new LinkedHashMap<>();
        env.forEach(e -> byName.put((String) e.get("name"), e.containsKey("value") ? e.get("value") : e.get("valueFrom")));
        return byName;
    }

    @Test
    void turnsOnGatekeepersDiskExportWithTheKeysItsChartReads() throws IOException {
        Map<String, Object> v = gatekeeperValues();

        assertThat(v).containsEntry("enableViolationExport", true).containsEntry("exportBackend", "disk");
        assertThat((Object) at(v, "audit.connection")).isEqualTo("audit-connection");
        assertThat((Object) at(v, "audit.channel")).isEqualTo("audit-channel");
        assertThat((Object) at(v, "audit.exportConnection.path")).isEqualTo("/tmp/violations/topics");
        assertThat((Object) at(v, "audit.exportConnection.maxAuditResults")).isEqualTo(5);
        assertThat((Object) at(v, "audit.exportVolume.name")).isEqualTo("tmp-violations");
        assertThat((Map<String, Object>) at(v, "audit.exportVolume.emptyDir"))
                .as("Gatekeeper's export volume keeps no limit of ours without the admission export").isEmpty();
        assertThat((Object) at(v, "audit.exportVolumeMount.path")).isEqualTo("/tmp/violations");
        assertThat((Map<String, Object>) at(v, "audit.exportSidecar")).containsKeys("name", "image", "securityContext");
        // only keys Gatekeeper's chart knows at the top level and under audit
        assertThat(v.keySet()).containsOnly("enableViolationExport", "exportBackend", "audit", "extraVolumes");
        assertThat(((Map<String, Object>) v.get("audit")).keySet()).containsOnly("connection", "channel", "exportConnection",
                "exportVolume", "exportVolumeMount", "exportSidecar");
    }

    @Test
    void sidecarRunsLockedDownLikeGatekeepersOwnSidecar() throws IOException {
        Map<String, Object> sidecar = at(gatekeeperValues(), "audit.exportSidecar");

        Map<String, Object> sc = at(sidecar, "securityContext");
        assertThat(sc).containsEntry("runAsUser", 1000).containsEntry("runAsGroup", 999)
                .containsEntry("runAsNonRoot", true).containsEntry("readOnlyRootFilesystem", true)
                .containsEntry("allowPrivilegeEscalation", false);
        assertThat((List<String>) at(sc, "capabilities.drop")).containsExactly("ALL");
        assertThat((Object) at(sc, "seccompProfile.type")).isEqualTo("RuntimeDefault");
        assertThat(sidecar).containsEntry("name", "decision-log-exporter");
        assertThat((String) sidecar.get("image")).isEqualTo("ghcr.io/decision-log-exporter/decision-log-exporter:0.1.0-SNAPSHOT");
        assertThat((Map<String, Object>) at(sidecar, "resources.requests")).containsKeys("cpu", "memory");
        assertThat((Map<String, Object>) at(sidecar, "resources.limits")).containsKey("memory");
    }

    @Test
    void probesHitTheManagementPortWhichGatekeepersManagerDoesNotUse() throws IOException {
        Map<String, Object> sidecar = at(gatekeeperValues(), "audit.exportSidecar");

        Map<String, Object> port = at(sidecar, "ports.0");
        assertThat(port).containsEntry("containerPort", 9099).containsEntry("name", "dle-http");
        assertThat((int) port.get("containerPort")).as("Gatekeeper's health, metrics and webhook ports")
                .isNotIn(9090, 8888, 8443);
        assertThat(env(sidecar)).containsEntry("MANAGEMENT_SERVER_PORT", "9099");
        assertThat((Object) at(sidecar, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat((Object) at(sidecar, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat((Object) at(sidecar, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat((Object) at(sidecar, probe + ".httpGet.port")).as(probe).isEqualTo("dle-http");
        }

        Map<String, Object> moved = at(gatekeeperValues("exporter.managementPort", 9191), "audit.exportSidecar");
        assertThat((Object) at(moved, "ports.0.containerPort")).isEqualTo(9191);
        assertThat(env(moved)).containsEntry("MANAGEMENT_SERVER_PORT", "9191");
    }

    @Test
    void journalLivesOnAVolumeOfItsOwnOutsideTheExportPath() throws IOException {
        Map<String, Object> v = gatekeeperValues();
        Map<String, Object> sidecar = at(v, "audit.exportSidecar");
        Map<String, String> mounts = ((List<Map<String, Object>>) at(sidecar, "volumeMounts")).stream()
                .collect(Collectors.toMap(m -> (String) m.get("name"), m -> (String) m.get("mountPath")));
        Map<String, Object> env = env(sidecar);

        assertThat(mounts).containsEntry("tmp-violations", "/tmp/violations")
                .containsEntry("decision-log-exporter", "/var/lib/decision-log-exporter");
        String journal = (String) env.get("EXPORTER_JOURNAL_DIR");
        assertThat(journal).isEqualTo("/var/lib/decision-log-exporter/journal")
                .doesNotStartWith("/tmp/violations");
        // the journal's own volume is added to the pod; Gatekeeper's export volume stays a plain emptyDir
        List<Map<String, Object>> extra = at(v, "extraVolumes");
        assertThat(extra).singleElement().satisfies(vol -> {
            assertThat(vol).containsEntry("name", "decision-log-exporter");
            assertThat((Object) at(vol, "emptyDir.sizeLimit")).isEqualTo("2Gi");
        });
        // a read-only root filesystem: java.io.tmpdir (junixsocket's native library) is on the writable volume
        assertThat((String) env.get("JDK_JAVA_OPTIONS")).contains("-Djava.io.tmpdir=/var/lib/decision-log-exporter")
                .contains("-XX:MaxRAMPercentage=");
    }

    @Test
    void exporterReadsGatekeepersExportDirectoryAndForwardsToTheConfiguredTopic() throws IOException {
        Map<String, Object> env = env(at(gatekeeperValues("kafka.topic", "policy.decisions",
                "gatekeeper.audit.channel", "my-channel"), "audit.exportSidecar"));

        assertThat(env).containsEntry("EXPORTER_GATEKEEPER_ENABLED", "true")
                .containsEntry("EXPORTER_GATEKEEPER_EXPORTPATH", "/tmp/violations/topics")
                .containsEntry("EXPORTER_GATEKEEPER_CHANNELS", "my-channel")
                .containsEntry("EXPORTER_SOCKET_ENABLED", "false")
                .containsEntry("EXPORTER_PUBLISH_TOPIC", "policy.decisions")
                .containsEntry("SPRING_KAFKA_BOOTSTRAPSERVERS", BROKERS)
                .containsEntry("EXPORTER_JOURNAL_ROLLCYCLE", "MINUTELY")
                .doesNotContainKey("SPRING_KAFKA_SECURITY_PROTOCOL");
        assertThat(env.values()).allSatisfy(value -> assertThat(value).isNotNull());
    }

    @Test
    void tlsAndSaslSettingsComeFromTheReferencedSecretsAndAreNeverInlined() throws IOException {
        Map<String, Object> sidecar = at(gatekeeperValues(
                "kafka.tls.enabled", true, "kafka.tls.secretName", "kafka-tls", "kafka.tls.certKey", "tls.crt",
                "kafka.tls.keyKey", "tls.key",
                "kafka.sasl.enabled", true, "kafka.sasl.secretName", "kafka-user", "kafka.sasl.mechanism", "SCRAM-SHA-256"),
                "audit.exportSidecar");
        Map<String, Object> env = env(sidecar);

        assertThat(env).containsEntry("SPRING_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                .containsEntry("SPRING_KAFKA_SSL_TRUSTSTORETYPE", "PEM")
                .containsEntry("SPRING_KAFKA_SSL_KEYSTORETYPE", "PEM")
                .containsEntry("SPRING_KAFKA_PROPERTIES_SASL_MECHANISM", "SCRAM-SHA-256");
        assertThat(secretRef(env, "SPRING_KAFKA_SSL_TRUSTSTORECERTIFICATES")).isEqualTo(Map.of("name", "kafka-tls", "key", "ca.crt"));
        assertThat(secretRef(env, "SPRING_KAFKA_SSL_KEYSTORECERTIFICATECHAIN")).isEqualTo(Map.of("name", "kafka-tls", "key", "tls.crt"));
        assertThat(secretRef(env, "SPRING_KAFKA_SSL_KEYSTOREKEY")).isEqualTo(Map.of("name", "kafka-tls", "key", "tls.key"));
        assertThat(secretRef(env, "KAFKA_SASL_USERNAME")).isEqualTo(Map.of("name", "kafka-user", "key", "username"));
        assertThat(secretRef(env, "KAFKA_SASL_PASSWORD")).isEqualTo(Map.of("name", "kafka-user", "key", "password"));
        // the JAAS line only names the variables; Kubernetes fills them in when it starts the container
        assertThat((String) env.get("SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG")).isEqualTo(
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"$(KAFKA_SASL_USERNAME)\" password=\"$(KAFKA_SASL_PASSWORD)\";");
        List<String> names = ((List<Map<String, Object>>) at(sidecar, "env")).stream()
                .map(e -> (String) e.get("name")).toList();
        assertThat(names.indexOf("KAFKA_SASL_PASSWORD")).as("defined before it is referenced")
                .isLessThan(names.indexOf("SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"));

        Map<String, Object> jaas = env(at(gatekeeperValues("kafka.sasl.enabled", true, "kafka.sasl.secretName", "kafka-user",
                "kafka.sasl.mechanism", "PLAIN", "kafka.sasl.jaasConfigKey", "sasl.jaas.config",
                "kafka.sasl.allowPlaintext", true), "audit.exportSidecar"));
        assertThat(jaas).containsEntry("SPRING_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT").doesNotContainKey("KAFKA_SASL_PASSWORD");
        assertThat(secretRef(jaas, "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"))
                .isEqualTo(Map.of("name", "kafka-user", "key", "sasl.jaas.config"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> secretRef(Map<String, Object> env, String name) {
        assertThat(env.get(name)).as(name + " comes from a Secret").isInstanceOf(Map.class);
        return at(env.get(name), "secretKeyRef");
    }

    @ParameterizedTest(name = "sizeLimit {0} - headroom {1} = {2}")
    @CsvSource({
            "2Gi, 64Mi, 1984MB",
            "1536Mi, 64Mi, 1472MB",
            "1G, 64Mi, 889MB",
            "1.5Gi, 100Mi, 1436MB",
            "262144Ki, 32Mi, 224MB",
            "128Mi, 64Mi, 64MB",
            "536870912, 64Mi, 448MB"})
    void journalCapIsTheStateVolumesSizeLimitLessTheHeadroom(String sizeLimit, String headroom, String cap) throws IOException {
        Map<String, Object> v = gatekeeperValues("exporter.stateVolume.sizeLimit", sizeLimit,
                "exporter.stateVolume.headroom", headroom);

        assertThat(env(at(v, "audit.exportSidecar"))).containsEntry("EXPORTER_JOURNAL_MAXSIZE", cap);
        assertThat((Object) at(v, "extraVolumes.0.emptyDir.sizeLimit")).isEqualTo(parsedLikeYaml(sizeLimit));
    }

    private static Object parsedLikeYaml(String value) {
        return value.matches("\\d+") ? (Object) Integer.valueOf(value) : value;
    }

    @Test
    void drainLastsTheGracePeriodLessTheMargin() throws IOException {
        assertThat(env(at(gatekeeperValues(), "audit.exportSidecar"))).containsEntry("EXPORTER_PUBLISH_DRAINTIMEOUT", "45s");
        assertThat(env(at(gatekeeperValues("gatekeeper.terminationGracePeriodSeconds", 120, "exporter.drain.marginSeconds", 20),
                "audit.exportSidecar"))).containsEntry("EXPORTER_PUBLISH_DRAINTIMEOUT", "100s");
    }

    @Test
    void withoutTheAdmissionSwitchNothingGoesIntoTheControllerManagerPods() throws IOException {
        Map<String, Object> v = gatekeeperValues("gatekeeper.version", "3.24.0");

        assertThat(v).doesNotContainKeys("admission", "enableAdmissionViolationExport");
    }

    @Test
    void admissionSwitchPutsAnExporterIntoEveryControllerManagerPodReadingItsAdmissionSegments() throws IOException {
        Map<String, Object> v = gatekeeperValues("gatekeeper.version", "3.24.0-beta.0", "gatekeeper.admission.enabled", true);

        assertThat(v).containsEntry("enableAdmissionViolationExport", true).containsEntry("exportBackend", "disk");
        assertThat((Object) at(v, "admission.disableExportSidecar")).isEqualTo(false);
        Map<String, Object> sidecar = at(v, "admission.exportSidecar");
        Map<String, Object> env = env(sidecar);
        assertThat(env).containsEntry("EXPORTER_SOCKET_ENABLED", "false")
                .containsEntry("EXPORTER_GATEKEEPER_ENABLED", "true")
                .containsEntry("EXPORTER_GATEKEEPER_EXPORTPATH", "/tmp/violations/topics")
                .containsEntry("EXPORTER_GATEKEEPER_CHANNELS", "audit-channel")
                .containsEntry("EXPORTER_JOURNAL_DIR", "/tmp/violations/decision-log-exporter/journal")
                // 1Gi export volume - 64Mi for Gatekeeper's admission segments - 64Mi headroom
                .containsEntry("EXPORTER_JOURNAL_MAXSIZE", "896MB")
                .containsEntry("EXPORTER_PUBLISH_DRAINTIMEOUT", "45s")
                .containsEntry("MANAGEMENT_SERVER_PORT", "9099");
        assertThat((String) env.get("JDK_JAVA_OPTIONS")).endsWith("-Djava.io.tmpdir=/tmp/violations/decision-log-exporter/tmp");
        assertThat((Object) at(sidecar, "readinessProbe.httpGet.port")).isEqualTo("dle-http");
        assertThat((Object) at(v, "audit.exportVolume.emptyDir.sizeLimit")).isEqualTo("1Gi");

        Map<String, Object> bigger = env(at(gatekeeperValues("gatekeeper.version", "3.24.0", "gatekeeper.admission.enabled", true,
                "gatekeeper.audit.exportVolumeSizeLimit", "4Gi", "gatekeeper.admission.gatekeeperReserve", "128Mi"),
                "admission.exportSidecar"));
        assertThat(bigger).containsEntry("EXPORTER_JOURNAL_MAXSIZE", "3904MB");
    }
}
