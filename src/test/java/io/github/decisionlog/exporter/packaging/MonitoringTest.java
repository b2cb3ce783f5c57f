package io.github.decisionlog.exporter.packaging;

import static io.github.decisionlog.exporter.packaging.Chart.at;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The alert rules and the dashboard watch what an operator must see, with metric names the exporter really
 * registers (Micrometer's names from src/main, as Prometheus shows them: dots to underscores, _total on counters,
 * the base unit appended).
 */
@SuppressWarnings("unchecked")
class MonitoringTest {

    static final Path FILES = Chart.EXPORTER.resolve("files");
    static final Path SOURCES = Path.of("src", "main", "java");
    static final Pattern METRIC = Pattern.compile("decisionlog_[a-z0-9_]+");
    static final List<String> SUFFIXES = List.of("", "_total", "_seconds", "_bytes", "_seconds_bucket", "_seconds_count",
            "_seconds_sum", "_seconds_max");

    static Map<String, String> alerts() throws IOException {
        Map<String, Object> groups = new Yaml().load(Files.readString(FILES.resolve("alerts.yaml")));
        List<Map<String, Object>> rules = at(groups, "groups.0.rules");
        return rules.stream().collect(Collectors.toMap(r -> (String) r.get("alert"), r -> (String) r.get("expr")));
    }

    static List<String> dashboardExpressions() throws IOException {
        JsonNode dashboard = JsonMapper.shared().readTree(Files.readString(FILES.resolve("dashboard.json")));
        return dashboard.findValues("expr").stream().map(JsonNode::asString).toList();
    }

    /** Micrometer meter names the exporter's sources register ("decisionlog.backlog.age"), as Prometheus bases. */
    static Set<String> registeredBases() throws IOException {
        Set<String> names = new TreeSet<>();
        Pattern literal = Pattern.compile("\"(decisionlog\\.[a-z0-9.]+)\"");
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = literal.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1).replace('.', '_'));
                }
            }
        }
        return names;
    }

    static Set<String> metricsIn(Iterable<String> expressions) {
        Set<String> found = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                found.add(m.group());
            }
        }
        return found;
    }

    @Test
    void alertsAndDashboardUseOnlyMetricsTheExporterRegisters() throws IOException {
        Set<String> bases = registeredBases();
        assertThat(bases).as("meter names found in %s", SOURCES).contains("decisionlog_backlog_age");

        Set<String> used = metricsIn(alerts().values());
        used.addAll(metricsIn(dashboardExpressions()));
        assertThat(used).isNotEmpty().allSatisfy(name -> assertThat(SUFFIXES)
                .as("%s is a registered meter plus a Prometheus suffix", name)
                .anyMatch(suffix -> name.endsWith(suffix) && bases.contains(name.substring(0, name.length() - suffix.length()))));
    }

    @Test
    void alertsCoverLossesOutagesAndTheDiskBudget() throws IOException {
        Map<String, String> alerts = alerts();
        Set<String> metrics = metricsIn(alerts.values());

        assertThat(metrics).contains("decisionlog_gatekeeper_files_vanished_total", "decisionlog_journal_recoveries_total",
                "decisionlog_records_dropped_total", "decisionlog_journal_size_bytes", "decisionlog_journal_max_size_bytes",
                "decisionlog_journal_full", "decisionlog_backlog_age_seconds", "decisionlog_gatekeeper_oldest_unread_age_seconds");
        // the scrape target down, or not there at all; matched by the exporter's port name, which the chart fixes
        assertThat(alerts.values()).anyMatch(e -> e.replace(" ", "").equals("up{endpoint=\"dle-http\"}==0"))
                .anyMatch(e -> e.replace(" ", "").equals("absent(up{endpoint=\"dle-http\"})"));
        // the disk budget is everything on disk against the cap, not only the unacknowledged part
        assertThat(alerts.values()).anyMatch(e -> e.contains("decisionlog_journal_size_bytes / decisionlog_journal_max_size_bytes"));
    }

    @Test
    void countersRaisedBeforeTheFirstScrapeStillAlert() throws IOException {
        // a journal recovery happens at start-up: increase() needs a sample before it, so the rule also looks for a
        // series that is new and above zero
        String recovered = alerts().get("DecisionLogJournalRecovered");
        assertThat(recovered).contains("increase(decisionlog_journal_recoveries_total",
                "unless decisionlog_journal_recoveries_total offset");
    }

    @Test
    void dashboardShowsTheGatekeeperReaderAndDrops() throws IOException {
        Set<String> metrics = metricsIn(dashboardExpressions());

        assertThat(metrics).contains("decisionlog_gatekeeper_files_read_total", "decisionlog_gatekeeper_files_vanished_total",
                "decisionlog_gatekeeper_files_busy_total", "decisionlog_gatekeeper_files_undeleted_total",
                "decisionlog_gatekeeper_oldest_unread_age_seconds", "decisionlog_gatekeeper_runs_incomplete_total",
                "decisionlog_records_dropped_total", "decisionlog_journal_max_size_bytes");
        JsonNode dashboard = JsonMapper.shared().readTree(Files.readString(FILES.resolve("dashboard.json")));
        List<Integer> ids = new ArrayList<>();
        dashboard.get("panels").forEach(panel -> ids.add(panel.get("id").asInt()));
        assertThat(ids).as("panel ids").doesNotHaveDuplicates();
    }
}
