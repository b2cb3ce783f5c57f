package io.github.decisionlog.exporter.packaging;

import static io.github.decisionlog.exporter.packaging.Chart.at;
import static io.github.decisionlog.exporter.packaging.Chart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.util.unit.DataSize;
import org.yaml.snakeyaml.Yaml;

/**
 * Gatekeeper's real Helm charts (unmodified copies in {@code ../shared/gatekeeper-charts/<version>/gatekeeper}),
 * rendered with the values file this chart produces: the pods they give hold together. Each chart is rendered once
 * per set of values and shared by the tests. A clone without those copies skips these tests (and says so once).
 */
@SuppressWarnings("unchecked")
class GatekeeperChartsTest {

    static final Path CHARTS = Path.of("..", "shared", "gatekeeper-charts");
    static final String BROKERS = "kafka-0.kafka.svc:9093";
    static final String EXPORTER = "decision-log-exporter";
    static final String MANAGER = "manager";
    static final String AUDIT = "gatekeeper-audit";
    static final String CONTROLLER_MANAGER = "gatekeeper-controller-manager";

    private static final Map<String, Rendering> RENDERED = new ConcurrentHashMap<>();

    /** Without the copies every parameterised test below has no versions to run; this one says so as a skip. */
    @Test
    void gatekeepersChartsAreThereFromTheMinimumVersionOn() {
        assumeTrue(Files.isDirectory(CHARTS), "Gatekeeper's charts are not at " + CHARTS.toAbsolutePath().normalize()
                + " (a checkout without ../shared): the tests that render them are skipped");
        assertThat(versions()).as("chart versions in %s", CHARTS).isNotEmpty()
                .anySatisfy(v -> assertThat(chartVersion(v)).startsWith("3.21."))
                .anySatisfy(v -> assertThat(hasAdmissionExport(chartVersion(v))).isTrue());
    }

    /** Folder names of the chart copies, e.g. v3.21.1 and master. */
    static List<String> versions() {
        if (!Files.isDirectory(CHARTS)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(CHARTS)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("gatekeeper").resolve("Chart.yaml")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<String> released() {
        return versions().stream().filter(v -> !hasAdmissionExport(chartVersion(v)));
    }

    static Stream<String> withAdmissionExport() {
        return versions().stream().filter(v -> hasAdmissionExport(chartVersion(v)));
    }

    /** Every chart with the admission export off, and the charts that have it with the admission export on. */
    static Stream<Arguments> renderings() {
        return Stream.concat(versions().stream().map(v -> Arguments.of(v, false)),
                withAdmissionExport().map(v -> Arguments.of(v, true)));
    }

    // ---- what every rendered pod must satisfy ----

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void everyVolumeMountOfEveryContainerIsAVolumeOfItsPod(String version, boolean admission) {
        Rendering r = render(version, admission);
        for (String deployment : List.of(AUDIT, CONTROLLER_MANAGER)) {
            Map<String, Object> pod = r.pod(deployment);
            List<String> volumes = list(pod, "volumes").stream().map(v -> (String) v.get("name")).toList();
            assertThat(volumes).as("%s: volume names", deployment).doesNotHaveDuplicates();
            for (Map<String, Object> container : list(pod, "containers")) {
                for (Map<String, Object> mount : mounts(container)) {
                    assertThat(volumes).as("%s/%s mounts %s", deployment, container.get("name"), mount)
                            .contains((String) mount.get("name"));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void noTwoContainersOfAPodListenOnOnePort(String version, boolean admission) {
        Rendering r = render(version, admission);
        for (String deployment : List.of(AUDIT, CONTROLLER_MANAGER)) {
            Map<String, Object> pod = r.pod(deployment);
            List<Object> ports = list(pod, "containers").stream()
                    .flatMap(c -> ((List<Map<String, Object>>) c.getOrDefault("ports", List.of())).stream())
                    .map(p -> p.get("containerPort")).toList();
            assertThat(ports).as("%s: container ports of all its containers", deployment).doesNotHaveDuplicates();
        }
    }

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void exporterProbesHitTheExportersOwnManagementPort(String version, boolean admission) {
        Rendering r = render(version, admission);
        for (String deployment : r.podsWithExporter()) {
            Map<String, Object> pod = r.pod(deployment);
            Map<String, Object> exporter = container(pod, EXPORTER).orElseThrow();
            Map<String, Object> port = ((List<Map<String, Object>>) at(exporter, "ports")).stream()
                    .filter(p -> "dle-http".equals(p.get("name"))).findFirst().orElseThrow();
            assertThat(port.get("containerPort")).as(deployment).isEqualTo(9099);
            assertThat(env(exporter)).containsEntry("MANAGEMENT_SERVER_PORT", "9099");
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                assertThat((Object) at(exporter, probe + ".httpGet.port")).as("%s %s", deployment, probe).isEqualTo("dle-http");
            }
            assertThat((Object) at(exporter, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
            // the ports the chart keeps clear of are the ones Gatekeeper's manager really listens on in this pod
            Map<String, Object> manager = container(pod, MANAGER).orElseThrow();
            List<Object> managerPorts = ((List<Map<String, Object>>) at(manager, "ports")).stream()
                    .map(p -> p.get("containerPort")).toList();
            assertThat(managerPorts).as("%s manager ports", deployment).isSubsetOf(9090, 8888, 8443).doesNotContain(9099);
            for (String probe : List.of("livenessProbe", "readinessProbe")) {
                assertThat((Object) at(manager, probe + ".httpGet.port")).as("manager %s", probe).isNotEqualTo(9099);
            }
        }
    }

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void exporterRunsAsGatekeepersSidecarUserLockedDown(String version, boolean admission) {
        Rendering r = render(version, admission);
        for (String deployment : r.podsWithExporter()) {
            Map<String, Object> pod = r.pod(deployment);
            Map<String, Object> sc = at(container(pod, EXPORTER).orElseThrow(), "securityContext");
            assertThat(sc).as(deployment).containsEntry("runAsUser", 1000).containsEntry("runAsGroup", 999)
                    .containsEntry("runAsNonRoot", true).containsEntry("readOnlyRootFilesystem", true)
                    .containsEntry("allowPrivilegeEscalation", false);
            assertThat((List<String>) at(sc, "capabilities.drop")).containsExactly("ALL");
            // group 999 owns the export volume, so the exporter may delete the files it has read
            assertThat((Object) at(pod, "securityContext.fsGroup")).as("%s fsGroup", deployment).isEqualTo(999);
        }
    }

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void journalAndTemporaryFilesLiveOutsideTheExportPathOnAVolumeLargerThanTheJournalsCap(String version, boolean admission) {
        Rendering r = render(version, admission);
        Path exportPath = Path.of((String) at(r.connection(), "spec.config.path"));
        for (String deployment : r.podsWithExporter()) {
            Map<String, Object> pod = r.pod(deployment);
            Map<String, Object> exporter = container(pod, EXPORTER).orElseThrow();
            Map<String, Object> env = env(exporter);
            Path journal = Path.of((String) env.get("EXPORTER_JOURNAL_DIR"));
            Path tmp = tmpdir(exporter);
            assertThat(journal).as("%s: the journal %s is neither in nor above the export path %s", deployment, journal, exportPath)
                    .matches(p -> !p.startsWith(exportPath) && !exportPath.startsWith(p));
            // java.io.tmpdir may be the root of the volume the export path is on (files go directly into it)
            assertThat(tmp).as("%s: java.io.tmpdir %s is not in the export path %s", deployment, tmp, exportPath)
                    .matches(p -> !p.startsWith(exportPath));
            for (Path own : List.of(journal, tmp)) {
                assertThat(volumeOf(exporter, own)).as("%s: %s is on a mounted volume", deployment, own).isPresent();
            }
            String volumeName = volumeOf(exporter, journal).orElseThrow();
            Map<String, Object> volume = volume(pod, volumeName);
            long cap = DataSize.parse((String) env.get("EXPORTER_JOURNAL_MAXSIZE")).toBytes();
            assertThat(cap).as("the exporter's minimum cap").isGreaterThanOrEqualTo(DataSize.ofMegabytes(64).toBytes());
            assertThat(volume).as("%s: the journal's volume %s is an emptyDir", deployment, volumeName).containsKey("emptyDir");
            long sizeLimit = quantity(at(volume, "emptyDir.sizeLimit"));
            assertThat(sizeLimit).as("%s: sizeLimit of %s against the journal's cap", deployment, volumeName)
                    .isGreaterThanOrEqualTo(cap + DataSize.ofMegabytes(64).toBytes());
        }
    }

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void drainEndsWithinThePodsGracePeriod(String version, boolean admission) {
        Rendering r = render(version, admission);
        for (String deployment : r.podsWithExporter()) {
            Map<String, Object> pod = r.pod(deployment);
            int grace = at(pod, "terminationGracePeriodSeconds");
            assertThat(grace).as("Gatekeeper's grace period, which gatekeeper.terminationGracePeriodSeconds repeats").isEqualTo(60);
            String drain = (String) env(container(pod, EXPORTER).orElseThrow()).get("EXPORTER_PUBLISH_DRAINTIMEOUT");
            assertThat(drain).isEqualTo("45s");
        }
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("versions")
    void auditExporterReadsTheChannelGatekeepersAuditWritesTo(String version) {
        Rendering r = render(version, false);
        Map<String, Object> pod = r.pod(AUDIT);
        Map<String, Object> exporter = container(pod, EXPORTER).orElseThrow();
        Map<String, Object> env = env(exporter);
        List<String> args = at(container(pod, MANAGER).orElseThrow(), "args");
        assertThat(args).contains("--enable-violation-export=true", "--audit-connection=audit-connection",
                "--audit-channel=audit-channel");
        assertThat((Object) at(r.connection(), "metadata.name")).isEqualTo("audit-connection");
        assertThat((Object) at(r.connection(), "spec.driver")).isEqualTo("disk");
        assertThat((Object) at(r.connection(), "spec.config.maxAuditResults")).isEqualTo(5);
        assertThat(env).containsEntry("EXPORTER_GATEKEEPER_ENABLED", "true")
                .containsEntry("EXPORTER_GATEKEEPER_EXPORTPATH", at(r.connection(), "spec.config.path"))
                .containsEntry("EXPORTER_GATEKEEPER_CHANNELS", "audit-channel")
                .containsEntry("EXPORTER_SOCKET_ENABLED", "false");
        // both containers see the export volume at the same place
        assertThat(mountPath(container(pod, MANAGER).orElseThrow(), "tmp-violations"))
                .isEqualTo(mountPath(exporter, "tmp-violations")).contains("/tmp/violations");
        // the journal is on the exporter's own volume, not on Gatekeeper's export volume
        assertThat(volumeOf(exporter, Path.of((String) env.get("EXPORTER_JOURNAL_DIR")))).contains(EXPORTER);
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("versions")
    void withoutTheAdmissionExportControllerManagerPodsGetOnlyAnUnusedEmptyDir(String version) {
        Map<String, Object> pod = render(version, false).pod(CONTROLLER_MANAGER);

        assertThat(container(pod, EXPORTER)).isEmpty();
        // extraVolumes reaches every Gatekeeper pod: here the exporter's volume is an emptyDir nobody mounts
        assertThat(volume(pod, EXPORTER)).containsOnlyKeys("name", "emptyDir");
        assertThat(list(pod, "containers")).allSatisfy(c -> assertThat(mountPath(c, EXPORTER)).isEmpty());
        assertThat(list(pod, "volumes")).extracting(v -> v.get("name")).doesNotContain("tmp-violations");
    }

    @ParameterizedTest(name = "{0}, admission export {1}", allowZeroInvocations = true)
    @MethodSource("renderings")
    void metricsServiceAndPodMonitorSelectThePodsTheExporterRunsIn(String version, boolean admission) throws IOException {
        Rendering r = render(version, admission);
        List<Map<String, Object>> monitoring = monitoringObjects();
        Map<String, Object> serviceSelector = at(Chart.only(monitoring, "Service"), "spec.selector");
        Map<String, Object> podMonitorSelector = at(Chart.only(monitoring, "PodMonitor"), "spec.selector.matchLabels");

        for (String deployment : r.podsWithExporter()) {
            Map<String, Object> labels = r.podLabels(deployment);
            assertThat(labels).as("%s pod labels against the PodMonitor", deployment).containsAllEntriesOf(podMonitorSelector);
        }
        assertThat(r.podLabels(AUDIT)).as("audit pod labels against the metrics Service").containsAllEntriesOf(serviceSelector);
        assertThat(r.podLabels(CONTROLLER_MANAGER)).as("the Service is the audit pod's only")
                .isNotEqualTo(Map.of()).matches(labels -> !labels.entrySet().containsAll(serviceSelector.entrySet()));
    }

    private static List<Map<String, Object>> monitoringObjects() throws IOException {
        return RENDERED.computeIfAbsent("monitoring", key -> {
            try {
                return new Rendering(Chart.exporter().render(values("metrics.podMonitor.enabled", true),
                        Files.createTempDirectory("dle-monitoring")), false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).docs();
    }

    // ---- admission decisions (Gatekeeper master) ----

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("withAdmissionExport")
    void controllerManagerExportersReadTheirPodsAdmissionSpoolAndKeepTheirJournalBesideIt(String version) {
        Rendering r = render(version, true);
        Map<String, Object> pod = r.pod(CONTROLLER_MANAGER);
        Map<String, Object> exporter = container(pod, EXPORTER).orElseThrow();
        Map<String, Object> env = env(exporter);
        String exportPath = at(r.connection(), "spec.config.path");
        Path channelDir = Path.of(exportPath, "audit-channel");

        List<String> args = at(container(pod, MANAGER).orElseThrow(), "args");
        assertThat(args).contains("--enable-admission-violation-export=true", "--audit-connection=audit-connection",
                "--audit-channel=audit-channel");
        assertThat(env).containsEntry("EXPORTER_GATEKEEPER_ENABLED", "true")
                .containsEntry("EXPORTER_GATEKEEPER_EXPORTPATH", exportPath)
                .containsEntry("EXPORTER_GATEKEEPER_CHANNELS", "audit-channel")
                .containsEntry("EXPORTER_SOCKET_ENABLED", "false")
                .containsEntry("ROOT_PATH", exportPath);
        // Gatekeeper's chart leaves this sidecar the export volume alone: journal and tmpdir are on it, beside the
        // Connection's path (removed whole when the Connection changes) and the channel directory (retention)
        assertThat(mounts(exporter)).extracting(m -> m.get("name")).containsExactly("tmp-violations");
        Path journal = Path.of((String) env.get("EXPORTER_JOURNAL_DIR"));
        assertThat(journal).as("journal %s beside %s", journal, exportPath)
                .matches(p -> !p.startsWith(exportPath) && !Path.of(exportPath).startsWith(p));
        Path tmp = tmpdir(exporter);
        assertThat(tmp).as("java.io.tmpdir %s", tmp).matches(p -> !p.startsWith(exportPath) && !p.startsWith(channelDir));
        for (Path own : List.of(journal, tmp)) {
            assertThat(volumeOf(exporter, own)).as(own.toString()).contains("tmp-violations");
        }
        // the export volume's sizeLimit holds the journal's cap and Gatekeeper's admission files (at most 20 MiB)
        long cap = DataSize.parse((String) env.get("EXPORTER_JOURNAL_MAXSIZE")).toBytes();
        long sizeLimit = quantity(at(volume(pod, "tmp-violations"), "emptyDir.sizeLimit"));
        assertThat(sizeLimit - cap).isGreaterThanOrEqualTo(DataSize.ofMegabytes(20 + 64).toBytes());
        // the audit pod keeps its exporter on its own volume, reading audit runs as before
        Map<String, Object> audit = container(r.pod(AUDIT), EXPORTER).orElseThrow();
        assertThat(volumeOf(audit, Path.of((String) env(audit).get("EXPORTER_JOURNAL_DIR")))).contains(EXPORTER);
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("released")
    void releasedGatekeeperHasNoAdmissionExportSoTheChartRefusesTheSwitch(String version) throws IOException {
        Path work = Files.createTempDirectory("dle-refused");
        assertThatThrownBy(() -> Chart.exporter().template(values("output", "gatekeeperValues",
                "kafka.bootstrapServers", BROKERS, "gatekeeper.version", chartVersion(version),
                "gatekeeper.admission.enabled", true), work))
                .message().contains("gatekeeper.admission.enabled needs Gatekeeper's chart 3.24", "--log-denies");
        // and a values file made for a newer Gatekeeper changes nothing in this one's controller-manager pods
        Map<String, Object> pod = render(version, true, "3.24.0").pod(CONTROLLER_MANAGER);
        assertThat(container(pod, EXPORTER)).isEmpty();
        assertThat((List<String>) at(container(pod, MANAGER).orElseThrow(), "args"))
                .noneMatch(a -> a.contains("admission-violation-export"));
    }

    // ---- rendering ----

    record Rendering(List<Map<String, Object>> docs, boolean admission) {

        Map<String, Object> pod(String deployment) {
            Map<String, Object> found = docs.stream()
                    .filter(d -> "Deployment".equals(d.get("kind")) && deployment.equals(at(d, "metadata.name")))
                    .findFirst().orElseThrow(() -> new AssertionError("no Deployment " + deployment));
            return at(found, "spec.template.spec");
        }

        Map<String, Object> podLabels(String deployment) {
            Map<String, Object> found = docs.stream()
                    .filter(d -> "Deployment".equals(d.get("kind")) && deployment.equals(at(d, "metadata.name")))
                    .findFirst().orElseThrow(() -> new AssertionError("no Deployment " + deployment));
            return at(found, "spec.template.metadata.labels");
        }

        Map<String, Object> connection() {
            return Chart.only(docs, "Connection");
        }

        List<String> podsWithExporter() {
            return admission ? List.of(AUDIT, CONTROLLER_MANAGER) : List.of(AUDIT);
        }
    }

    static Rendering render(String version, boolean admission) {
        return render(version, admission, chartVersion(version));
    }

    /** Gatekeeper's chart of that folder, rendered with the values this chart makes for gatekeeper.version. */
    static Rendering render(String version, boolean admission, String claimedVersion) {
        return RENDERED.computeIfAbsent(version + "/" + admission + "/" + claimedVersion, key -> {
            try {
                Path work = Files.createTempDirectory("dle-gatekeeper");
                String ours = Chart.exporter().template(values("output", "gatekeeperValues",
                        "kafka.bootstrapServers", BROKERS, "gatekeeper.version", claimedVersion,
                        "gatekeeper.admission.enabled", admission), work);
                Path file = Files.writeString(work.resolve("gatekeeper-exporter-values.yaml"), ours);
                String rendered = new Helm(CHARTS.resolve(version).resolve("gatekeeper")).template()
                        .withName("gatekeeper").withNamespace(Chart.NAMESPACE).withValuesFile(file).call();
                return new Rendering(Chart.documents(rendered), admission);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static String chartVersion(String folder) {
        try {
            Map<String, Object> chart = new Yaml().load(Files.readString(CHARTS.resolve(folder).resolve("gatekeeper").resolve("Chart.yaml")));
            return String.valueOf(chart.get("version"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean hasAdmissionExport(String chartVersion) {
        Matcher m = Pattern.compile("^v?(\\d+)\\.(\\d+)").matcher(chartVersion);
        assertThat(m.find()).as(chartVersion).isTrue();
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 3 || (major == 3 && minor >= 24);
    }

    // ---- reading pods ----

    static List<Map<String, Object>> list(Map<String, Object> node, String key) {
        return (List<Map<String, Object>>) node.getOrDefault(key, List.of());
    }

    static Optional<Map<String, Object>> container(Map<String, Object> pod, String name) {
        return list(pod, "containers").stream().filter(c -> name.equals(c.get("name"))).findFirst();
    }

    static List<Map<String, Object>> mounts(Map<String, Object> container) {
        return list(container, "volumeMounts");
    }

    static Optional<String> mountPath(Map<String, Object> container, String volume) {
        return mounts(container).stream().filter(m -> volume.equals(m.get("name")))
                .map(m -> (String) m.get("mountPath")).findFirst();
    }

    static Map<String, Object> volume(Map<String, Object> pod, String name) {
        return list(pod, "volumes").stream().filter(v -> name.equals(v.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.get("volumes")));
    }

    /** The volume whose mount holds the path (the deepest mount wins, as in the container's file system). */
    static Optional<String> volumeOf(Map<String, Object> container, Path path) {
        return mounts(container).stream().filter(m -> path.startsWith(Path.of((String) m.get("mountPath"))))
                .max(Comparator.comparingInt(m -> Path.of((String) m.get("mountPath")).getNameCount()))
                .map(m -> (String) m.get("name"));
    }

    static Map<String, Object> env(Map<String, Object> container) {
        Map<String, Object> byName = new LinkedHashMap<>();
        list(container, "env").forEach(e -> byName.put((String) e.get("name"), e.containsKey("value") ? e.get("value") : e.get("valueFrom")));
        return byName;
    }

    static Path tmpdir(Map<String, Object> container) {
        Matcher m = Pattern.compile("-Djava\\.io\\.tmpdir=(\\S+)").matcher((String) env(container).get("JDK_JAVA_OPTIONS"));
        assertThat(m.find()).as("java.io.tmpdir is set (the root file system is read-only)").isTrue();
        return Path.of(m.group(1));
    }

    /** Bytes of a Kubernetes quantity such as 2Gi, 512Mi or 1G. */
    static long quantity(Object value) {
        Matcher m = Pattern.compile("^(\\d+(?:\\.\\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$").matcher(String.valueOf(value));
        assertThat(m.matches()).as("quantity %s", value).isTrue();
        long factor = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            default -> 1L;
        };
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(factor)).longValue();
    }
}
