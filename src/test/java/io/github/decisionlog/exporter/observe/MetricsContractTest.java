package io.github.decisionlog.exporter.observe;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The alert rules, the dashboard and the metrics page (docs/observability.md) name only metrics the exporter really exports: checked against a
 * scrape of {@code /actuator/prometheus} from an exporter that has seen records, rejects, Gatekeeper files, a failed
 * send and a dead letter.
 */
class MetricsContractTest {

    private static final Path FILES = Path.of("helm/decision-log-exporter/files");
    private static final Pattern METRIC = Pattern.compile("\\b(decisionlog_[a-z0-9_]+)");

    private static EmbeddedKafkaKraftBroker broker;
    private static Set<String> exported;

    @TempDir
    static Path dir;

    @BeforeAll
    static void scrapeAnExporterThatHasSeenEverything() throws Exception {
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.afterPropertiesSet();
        String bootstrap = broker.getBrokersAsString();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic("decisions", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "4096")), new NewTopic("dead", 1, (short) 1))).all().get();
        }
        Path channel = Files.createDirectories(dir.resolve("export/audit-channel"));
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap, "decisions", Map.of(
                "exporter.gatekeeper.enabled", "true",
                "exporter.gatekeeper.export-path", dir.resolve("export").toString(),
                "exporter.publish.dead-letter-topic", "dead",
                "exporter.publish.poison-attempts", "1",
                "spring.kafka.producer.properties.delivery.timeout.ms", "3000",
                "spring.kafka.producer.properties.request.timeout.ms", "1000"))) {
            byte[] random = new byte[10_000];
            new Random(1).nextBytes(random);
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine("{\"blob\":\"" + HexFormat.of().formatHex(random) + "\"}");
                producer.sendLine("{\"eventType\":\"violation_audited\",\"resourceKind\":\"Pod\",\"resourceName\":\"a\"}");
                producer.sendLine("not json");
            }
            Files.writeString(channel.resolve("2026-11-27T03_00_00Z.log"),
                    "{\"id\":\"2026-11-27T03:00:00Z\",\"message\":\"audit is started\"}\n"
                            + "{\"id\":\"2026-11-27T03:00:00Z\",\"message\":\"audit is completed\"}\n");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(exporter.metric("decisionlog.records.dead.lettered")).isEqualTo(1);
                assertThat(exporter.metric("decisionlog.gatekeeper.files.read")).isEqualTo(1);
                assertThat(exporter.metric("decisionlog.backlog.records")).isZero();
            });
            String port = exporter.property("local.management.port");
            HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            exported = scrape.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                    .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

    @Test
    void alertRulesCoverWhatOperatorsMustKnowUsingExportedMetricsOnly() throws IOException {
        Map<String, Object> alerts = new Yaml().load(Files.readString(FILES.resolve("alerts.yaml")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rules = (List<Map<String, Object>>)
                ((List<Map<String, Object>>) alerts.get("groups")).get(0).get("rules");
        assertThat(rules).extracting(r -> r.get("alert")).contains("DecisionLogBacklogAgeHigh",
                "DecisionLogJournalNearlyFull", "DecisionLogRecordsDropped", "DecisionLogPublishFailing",
                "DecisionLogGatekeeperFilesWaiting");
        for (Map<String, Object> rule : rules) {
            String expr = (String) rule.get("expr");
            if (expr.contains("up{endpoint=\"dle-http\"}")) {
                continue; // Prometheus's own health of the scrape target: the exporter down or absent
            }
            assertThat(metricNames(expr)).as("metrics of %s", rule.get("alert")).isNotEmpty().isSubsetOf(exported);
        }
        assertThat(rules).extracting(r -> r.get("alert")).as("a silent exporter silences every other alert")
                .contains("DecisionLogExporterDown", "DecisionLogExporterAbsent");
    }

    @Test
    void dashboardQueriesOnlyExportedMetrics() throws IOException {
        String dashboard = Files.readString(FILES.resolve("dashboard.json"));
        JsonNode json = JsonMapper.shared().readTree(dashboard);
        assertThat(json.get("panels")).isNotEmpty();
        assertThat(metricNames(dashboard)).isNotEmpty().isSubsetOf(exported);
    }

    @Test
    void everyMetricTheMetricsPageDocumentsIsExported() throws IOException {
        Set<String> documented = metricNames(Files.readString(Path.of("docs", "observability.md")));
        assertThat(documented).contains("decisionlog_backlog_age_seconds", "decisionlog_gatekeeper_oldest_unread_age_seconds");
        for (String name : documented) {
            assertThat(exported).as("documented metric %s", name)
                    .containsAnyOf(name, name + "_bucket", name + "_total");
        }
    }

    @Test
    void kafkaProducersOwnMetricsAreExportedToo() {
        assertThat(exported).contains("kafka_producer_record_send_total", "kafka_producer_record_error_total");
    }

    private static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
