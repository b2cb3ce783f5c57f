package io.github.decisionlog.exporter.packaging;

import static io.github.decisionlog.exporter.packaging.Chart.at;
import static io.github.decisionlog.exporter.packaging.Chart.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The chart lints, and installs only what is asked for: a metrics Service by default, the rest when enabled. */
@SuppressWarnings("unchecked")
class HelmChartTest {

    static final Path FILES = Chart.EXPORTER.resolve("files");

    @TempDir
    Path work;

    @Test
    void lintsCleanWithDefaultsAndWithEverythingEnabled() throws IOException {
        LintResult defaults = Chart.exporter().lint(Map.of(), Files.createDirectory(work.resolve("a")));
        assertThat(defaults.isFailed()).as("%s", defaults.getMessages()).isFalse();

        LintResult everything = Chart.exporter().lint(values("kafka.bootstrapServers", "kafka:9092",
                "kafka.tls.enabled", true, "kafka.tls.secretName", "kafka-tls",
                "kafka.sasl.enabled", true, "kafka.sasl.secretName", "kafka-user",
                "metrics.podMonitor.enabled", true, "gatekeeper.version", "3.24.0", "gatekeeper.admission.enabled", true,
                "prometheusRule.enabled", true, "dashboard.enabled", true), Files.createDirectory(work.resolve("b")));
        assertThat(everything.isFailed()).as("%s", everything.getMessages()).isFalse();
    }

    @Test
    void installsOnlyAMetricsServiceForTheAuditPodsByDefault() throws IOException {
        List<Map<String, Object>> docs = Chart.exporter().render(Map.of(), work);

        assertThat(docs).extracting(d -> d.get("kind")).containsExactly("Service");
        Map<String, Object> service = docs.get(0);
        assertThat((Object) at(service, "metadata.namespace")).isEqualTo(Chart.NAMESPACE);
        assertThat((Map<String, Object>) at(service, "spec.selector")).containsEntry("control-plane", "audit-controller")
                .containsEntry("gatekeeper.sh/operation", "audit").containsEntry("release", "gatekeeper");
        assertThat((Object) at(service, "spec.ports.0.port")).isEqualTo(9099);
        assertThat((Object) at(service, "spec.ports.0.targetPort")).isEqualTo("dle-http");
        // no workload and no Secret of its own: the exporter runs in Gatekeeper's pods, credentials stay referenced
        assertThat(docs).noneMatch(d -> Set.of("Deployment", "DaemonSet", "Secret").contains(d.get("kind")));
    }

    @Test
    void optionalMonitoringObjectsAppearOnlyWhenEnabled() throws IOException {
        List<Map<String, Object>> docs = Chart.exporter().render(values("metrics.serviceMonitor.enabled", true,
                "prometheusRule.enabled", true, "dashboard.enabled", true,
                "prometheusRule.labels", Map.of("release", "kube-prometheus-stack")), work);

        assertThat(docs).extracting(d -> d.get("kind"))
                .containsExactlyInAnyOrder("Service", "ServiceMonitor", "PrometheusRule", "ConfigMap");
        Map<String, Object> serviceMonitor = Chart.only(docs, "ServiceMonitor");
        assertThat((Object) at(serviceMonitor, "spec.endpoints.0.path")).isEqualTo("/actuator/prometheus");
        assertThat((Object) at(serviceMonitor, "spec.endpoints.0.port")).isEqualTo("dle-http");
        Map<String, Object> service = Chart.only(docs, "Service");
        Map<String, Object> selected = at(serviceMonitor, "spec.selector.matchLabels");
        assertThat((Map<String, Object>) at(service, "metadata.labels")).containsAllEntriesOf(selected);
        List<Map<String, Object>> withPodMonitor = Chart.exporter().render(values("metrics.podMonitor.enabled", true), work);
        assertThat(withPodMonitor).extracting(d -> d.get("kind")).containsExactlyInAnyOrder("Service", "PodMonitor");
        Map<String, Object> podMonitor = Chart.only(withPodMonitor, "PodMonitor");
        assertThat((Object) at(podMonitor, "spec.podMetricsEndpoints.0.port")).isEqualTo("dle-http");
        // every Gatekeeper pod of the release: the audit pod and, with the admission export, the controller-manager pods
        assertThat((Map<String, Object>) at(podMonitor, "spec.selector.matchLabels"))
                .containsEntry("gatekeeper.sh/system", "yes").containsEntry("release", "gatekeeper");

        Map<String, Object> rule = Chart.only(docs, "PrometheusRule");
        assertThat((Map<String, Object>) at(rule, "metadata.labels")).containsEntry("release", "kube-prometheus-stack");
        Map<String, Object> alerts = new Yaml().load(Files.readString(FILES.resolve("alerts.yaml")));
        assertThat((Object) at(rule, "spec")).as("the rules as shipped in files/alerts.yaml").isEqualTo(alerts);

        Map<String, Object> dashboard = Chart.only(docs, "ConfigMap");
        assertThat((Map<String, Object>) at(dashboard, "metadata.labels")).containsEntry("grafana_dashboard", "1");
        String json = (String) ((Map<String, Object>) at(dashboard, "data")).get("decision-log-exporter.json");
        assertThat(JsonMapper.shared().readTree(json))
                .isEqualTo(JsonMapper.shared().readTree(Files.readString(FILES.resolve("dashboard.json"))));
    }

    @Test
    void notesPinGatekeepersChartVersionAndNameTheLabelsPrometheusAndGrafanaSelectOn() throws IOException {
        String notes = Chart.exporter().notes(values("kafka.bootstrapServers", "kafka:9093", "gatekeeper.version", "3.22.2",
                "metrics.podMonitor.enabled", true, "metrics.podMonitor.labels", Map.of("release", "kps"),
                "prometheusRule.enabled", true, "dashboard.enabled", true), work);

        assertThat(notes.lines().filter(line -> line.contains("helm upgrade")))
                .singleElement().asString().contains("gatekeeper/gatekeeper --version 3.22.2").doesNotContain("--reuse-values");
        assertThat(notes).contains("drains its backlog to Kafka for up to\n   45s")
                .contains("podMonitorSelector", "release: kps", "ruleSelector", "grafana_dashboard: \"1\"")
                .contains("only in its own logs\n(--log-denies)");
        assertThat(Chart.exporter().notes(values("kafka.bootstrapServers", "kafka:9093", "gatekeeper.version", "3.24.0",
                "gatekeeper.admission.enabled", true, "metrics.serviceMonitor.enabled", true), work))
                .contains("every controller-manager pod", "the exporters in the controller-manager pods are not scraped");
    }
}
