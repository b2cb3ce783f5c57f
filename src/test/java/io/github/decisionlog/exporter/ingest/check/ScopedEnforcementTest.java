package io.github.decisionlog.exporter.ingest.check;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.support.GatekeeperWriter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Gatekeeper's scoped enforcement: {@code "enforcementAction":"scoped"} with the actions that apply in
 * {@code "enforcementActions"}, read by the checker and honoured by the enforcement-action filter.
 */
class ScopedEnforcementTest {

    private final RecordChecker checker = new RecordChecker(new RedactionRules(RedactionTest.settings(false)));
    private final RecordFilter denyOnly = new RecordFilter(new ExporterProperties.Filter(List.of(), List.of("deny")));

    private DecisionFields check(String record) throws RecordChecker.Rejected {
        byte[] b = record.getBytes(StandardCharsets.UTF_8);
        return checker.check(b, 0, b.length, new RedactionScan());
    }

    @Test
    void readsTheActionsOfARecordAsGatekeeperWritesIt() throws Exception {
        DecisionFields f = check(GatekeeperWriter.scopedAdmissionViolation("uid", 1, List.of("deny", "warn"), 0));
        assertThat(f.enforcementAction()).isEqualTo("scoped");
        assertThat(f.enforcementActions()).containsExactly("deny", "warn");
        assertThat(f.resourceKey()).isEqualTo("ConfigMap/team-a/cm-1");
        assertThat(f.eventType()).isEqualTo("violation_admission");
        assertThat(f.constraintKey()).isEqualTo("K8sRequiredLabels/must-have-owner");
    }

    @Test
    void aScopedRecordThatDeniesIsKeptAndOneThatOnlyWarnsIsDropped() throws Exception {
        assertThat(denyOnly.dropReason(check(GatekeeperWriter.scopedAdmissionViolation("u", 1, List.of("deny"), 0))))
                .isNull();
        assertThat(denyOnly.dropReason(check(GatekeeperWriter.scopedAdmissionViolation("u", 2,
                List.of("warn", "deny"), 0)))).isNull();
        assertThat(denyOnly.dropReason(check(GatekeeperWriter.scopedAdmissionViolation("u", 3, List.of("warn"), 0))))
                .isEqualTo(RecordFilter.ENFORCEMENT_ACTION);
        assertThat(denyOnly.dropReason(check("{\"enforcementAction\":\"scoped\"}")))
                .isEqualTo(RecordFilter.ENFORCEMENT_ACTION);
        assertThat(denyOnly.dropReason(check("{\"enforcementAction\":\"deny\"}"))).isNull();
        assertThat(denyOnly.dropReason(check("{\"constraintAction\":\"dryrun\"}")))
                .isEqualTo(RecordFilter.ENFORCEMENT_ACTION);
        RecordFilter scoped = new RecordFilter(new ExporterProperties.Filter(List.of(), List.of("scoped")));
        assertThat(scoped.dropReason(check(GatekeeperWriter.scopedAdmissionViolation("u", 4, List.of("warn"), 0))))
                .as("the literal field still counts").isNull();
    }

    @Test
    void elementsThatAreObjectsWithAnActionAreReadAndAnythingElseIsSkipped() throws Exception {
        DecisionFields f = check("{\"enforcementAction\":\"scoped\",\"enforcementActions\":[{\"action\":\"deny\","
                + "\"enforcementPoints\":[{\"name\":\"validation.gatekeeper.sh\"}]},{\"action\":7},{\"other\":\"warn\"},"
                + "null,3,[\"warn\"],\"dryrun\"],\"resourceKind\":\"Pod\"}");
        assertThat(f.enforcementActions()).containsExactly("deny", "dryrun");
        assertThat(f.resourceKind()).isEqualTo("Pod");
        assertThat(check("{\"enforcementActions\":\"deny\"}").enforcementActions()).isEmpty();
        assertThat(check("{\"enforcementActions\":{\"action\":\"deny\"}}").enforcementActions()).isEmpty();
        assertThat(check("{\"details\":{\"enforcementActions\":[\"deny\"]}}").enforcementActions())
                .as("only the top-level member").isEmpty();
    }

    @Test
    void aBrokenListIsNotJson() {
        for (String broken : List.of("{\"enforcementActions\":[\"deny\",}", "{\"enforcementActions\":[\"deny\"",
                "{\"enforcementActions\":[{\"action\":}]}")) {
            assertThatThrownBy(() -> check(broken)).isInstanceOfSatisfying(RecordChecker.Rejected.class,
                    e -> assertThat(e.reason).isEqualTo(RejectReason.NOT_JSON));
        }
    }

    @Test
    void aListOnARedactionPathIsStillRedactedAndItsActionsAreNotRead() throws Exception {
        RecordChecker redacting = new RecordChecker(new RedactionRules(RedactionTest.settings(false,
                List.of("/enforcementActions"), List.of(), ExporterProperties.Redact.MaskWith.MARKER, "")));
        byte[] b = "{\"enforcementAction\":\"scoped\",\"enforcementActions\":[\"deny\"]}"
                .getBytes(StandardCharsets.UTF_8);
        RedactionScan scan = new RedactionScan();
        DecisionFields f = redacting.check(b, 0, b.length, scan);
        assertThat(scan.matched()).isTrue();
        assertThat(f.enforcementActions()).isEmpty();
    }
}
