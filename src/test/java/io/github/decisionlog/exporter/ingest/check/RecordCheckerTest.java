package io.github.decisionlog.exporter.ingest.check;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordCheckerTest {

    private final RecordChecker checker = new RecordChecker(new RedactionRules(RedactionTest.settings(false)));

    private DecisionFields check(String s) throws RecordChecker.Rejected {
        return check(s.getBytes(StandardCharsets.UTF_8));
    }

    private DecisionFields check(byte[] b) throws RecordChecker.Rejected {
        return checker.check(b, 0, b.length, new RedactionScan());
    }

    private RejectReason reasonFor(byte[] b) {
        try {
            check(b);
        } catch (RecordChecker.Rejected e) {
            return e.reason;
        }
        return null;
    }

    @Test
    void readsGatekeepersExportRecord() throws Exception {
        DecisionFields f = check("{\"id\":\"2025-03-05T00:37:13Z\",\"details\":{\"missing_labels\":[\"test\"]},"
                + "\"eventType\":\"violation_audited\",\"kind\":\"K8sRequiredLabels\",\"message\":\"you \\u003c\","
                + "\"resourceKind\":\"Pod\",\"resourceNamespace\":\"nginx\",\"resourceName\":\"web-1\","
                + "\"resourceLabels\":{\"eventType\":\"nested values are not read\"}}");
        assertThat(f.eventType()).isEqualTo("violation_audited");
        assertThat(f.id()).isEqualTo("2025-03-05T00:37:13Z");
        assertThat(f.message()).isEqualTo("you <");
        assertThat(f.resourceKey()).isEqualTo("Pod/nginx/web-1");
    }

    @Test
    void clusterScopedResourceHasAnEmptyNamespaceInItsKey() throws Exception {
        assertThat(check("{\"resourceKind\":\"Namespace\",\"resourceName\":\"prod\"}").resourceKey())
                .isEqualTo("Namespace//prod");
        assertThat(check("{\"message\":\"audit is started\"}").resourceKey()).isNull();
    }

    @Test
    void fieldsThatAreNotStringsAreIgnored() throws Exception {
        assertThat(check("{\"eventType\":7,\"resourceName\":{\"x\":1}}")).isEqualTo(
                new DecisionFields(null, null, null, null, null, null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2]", "\"text\"", "42", "null", "{\"a\":1} {\"b\":2}", "{\"a\":1} x"})
    void anythingButOneObjectIsNotAnObject(String line) {
        assertThat(reasonFor(line.getBytes(StandardCharsets.UTF_8))).isIn(RejectReason.NOT_OBJECT,
                RejectReason.NOT_JSON);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"a\":}", "{\"a\":1", "{'a':1}", "{\"a\":1,}"})
    void brokenJsonIsNotJson(String line) {
        assertThat(reasonFor(line.getBytes(StandardCharsets.UTF_8))).isEqualTo(RejectReason.NOT_JSON);
    }

    @Test
    void invalidUtf8IsRejectedEvenInsideSkippedValues() {
        byte[] latin1 = "{\"details\":{\"x\":\"caf\u00e9\"}}".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(reasonFor(latin1)).isEqualTo(RejectReason.NOT_UTF8);
        byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        assertThat(reasonFor(overlong)).isEqualTo(RejectReason.NOT_UTF8);
        byte[] surrogate = {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
        assertThat(reasonFor(surrogate)).isEqualTo(RejectReason.NOT_UTF8);
        byte[] truncated = {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82};
        assertThat(reasonFor(truncated)).isEqualTo(RejectReason.NOT_UTF8);
    }

    @Test
    void multiByteUtf8IsAccepted() throws Exception {
        assertThat(check("{\"message\":\"café ✓ 𝄞\"}").message()).isEqualTo("café ✓ 𝄞");
    }

    @Test
    void rejectionCarriesADetailForTheLog() {
        assertThatThrownBy(() -> check("nope")).isInstanceOf(RecordChecker.Rejected.class)
                .hasMessageContaining("nope");
    }
}
