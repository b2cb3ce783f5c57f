package io.github.decisionlog.exporter.ingest.check;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.ExporterProperties.Redact.MaskWith;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedactionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An admission decision about a Secret, with Kubernetes' sorted keys: data comes before kind. */
    static final String SECRET_DECISION = "{\"decisionId\":\"d-1\",\"eventType\":\"violation_admission\","
            + "\"input\":{\"review\":{\"kind\":{\"group\":\"\",\"kind\":\"Secret\",\"version\":\"v1\"},"
            + "\"object\":{\"apiVersion\":\"v1\",\"data\":{\"password\":\"czNjcjN0LXZhbHVl\"},\"kind\":\"Secret\","
            + "\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
            + "\"{\\\"data\\\":{\\\"password\\\":\\\"czNjcjN0LXZhbHVl\\\"}}\",\"team\":\"a\"},\"name\":\"db\"},"
            + "\"stringData\":{\"token\":\"plain-token-value\"},\"type\":\"Opaque\"},"
            + "\"oldObject\":null,\"operation\":\"CREATE\"}},"
            + "\"resourceKind\":\"Secret\",\"resourceName\":\"db\",\"resourceNamespace\":\"prod\"}";

    static ExporterProperties.Redact settings(boolean secrets, List<String> erase, List<String> mask,
            MaskWith maskWith, String salt) {
        return new ExporterProperties.Redact(secrets, erase, mask, maskWith, "[REDACTED]", salt);
    }

    static ExporterProperties.Redact settings(boolean secrets) {
        return settings(secrets, List.of(), List.of(), MaskWith.MARKER, "");
    }

    private static String redact(ExporterProperties.Redact settings, String record) throws Exception {
        byte[] b = ("  " + record + "  ").getBytes(StandardCharsets.UTF_8); // at an offset, as a framer hands it over
        RedactionScan scan = new RedactionScan();
        new RecordChecker(new RedactionRules(settings)).check(b, 2, b.length - 4, scan);
        if (!scan.matched()) {
            return null;
        }
        Redactor.Redacted r = new Redactor(settings).apply(b, 2, b.length - 4, scan);
        return new String(r.bytes(), 0, r.length(), StandardCharsets.UTF_8);
    }

    @Test
    void theBuiltInRulesEraseASecretsDataEvenWhenItsKindComesAfterIt() throws Exception {
        String out = redact(settings(true), SECRET_DECISION);
        assertThat(out).doesNotContain("czNjcjN0LXZhbHVl").doesNotContain("plain-token-value")
                .doesNotContain("last-applied-configuration");
        JsonNode object = JSON.readTree(out).at("/input/review/object");
        assertThat(object.has("data")).isFalse();
        assertThat(object.has("stringData")).isFalse();
        assertThat(object.at("/metadata/annotations/team").asString()).isEqualTo("a");
        assertThat(object.at("/type").asString()).isEqualTo("Opaque");
        // everything else is byte for byte what was received
        assertThat(out).startsWith("{\"decisionId\":\"d-1\",\"eventType\":\"violation_admission\",")
                .endsWith("\"oldObject\":null,\"operation\":\"CREATE\"}},"
                        + "\"resourceKind\":\"Secret\",\"resourceName\":\"db\",\"resourceNamespace\":\"prod\"}");
    }

    @Test
    void theBuiltInRulesLeaveOtherKindsAndTheOldObjectOfOtherKindsAlone() throws Exception {
        String configMap = SECRET_DECISION.replace("\"kind\":\"Secret\",\"metadata\"", "\"kind\":\"ConfigMap\",\"metadata\"");
        assertThat(redact(settings(true), configMap)).isNull();
        assertThat(redact(settings(true), "{\"eventType\":\"violation_audited\",\"details\":{\"data\":1}}")).isNull();
        assertThat(redact(settings(false), SECRET_DECISION)).isNull();
    }

    @Test
    void theOldObjectOfADeletedSecretIsErasedToo() throws Exception {
        String delete = "{\"input\":{\"review\":{\"object\":null,\"oldObject\":{\"data\":{\"k\":\"b2xkLXNlY3JldA==\"},"
                + "\"kind\":\"Secret\"}}}}";
        assertThat(redact(settings(true), delete)).isEqualTo("{\"input\":{\"review\":{\"object\":null,"
                + "\"oldObject\":{\"kind\":\"Secret\"}}}}");
    }

    @Test
    void erasingKeepsTheJsonValidWhereverTheMemberIs() throws Exception {
        var s = settings(false, List.of("/a/x"), List.of(), MaskWith.MARKER, "");
        assertThat(redact(s, "{\"a\":{\"x\":1,\"y\":2}}")).isEqualTo("{\"a\":{\"y\":2}}");
        assertThat(redact(s, "{\"a\":{\"y\":2,\"x\":1}}")).isEqualTo("{\"a\":{\"y\":2}}");
        assertThat(redact(s, "{\"a\":{\"y\":2 , \"x\" : [1,{\"z\":2}] }}")).isEqualTo("{\"a\":{\"y\":2  }}");
        assertThat(redact(s, "{\"a\":{\"x\":\"only\"}}")).isEqualTo("{\"a\":{}}");
        var two = settings(false, List.of("/a/x", "/a/y"), List.of(), MaskWith.MARKER, "");
        assertThat(redact(two, "{\"a\":{\"w\":0,\"x\":1,\"y\":2}}")).isEqualTo("{\"a\":{\"w\":0}}");
        assertThat(redact(two, "{\"a\":{\"x\":1,\"y\":2,\"w\":0}}")).isEqualTo("{\"a\":{\"w\":0}}");
    }

    @Test
    void aWildcardReachesEveryArrayElementAndAnIndexOnlyItsOwn() throws Exception {
        String pod = "{\"input\":{\"review\":{\"object\":{\"spec\":{\"containers\":["
                + "{\"name\":\"a\",\"env\":[{\"name\":\"TOKEN\",\"value\":\"t1\"}]},"
                + "{\"env\":[{\"name\":\"PASSWORD\",\"value\":\"t2\"}],\"name\":\"b\"}]}}}}}";
        var every = settings(false, List.of("/input/review/object/spec/containers/*/env"), List.of(), MaskWith.MARKER, "");
        assertThat(redact(every, pod)).isEqualTo("{\"input\":{\"review\":{\"object\":{\"spec\":{\"containers\":["
                + "{\"name\":\"a\"},{\"name\":\"b\"}]}}}}}");
        var second = settings(false, List.of(), List.of("/input/review/object/spec/containers/1/env/0/value"),
                MaskWith.MARKER, "");
        assertThat(redact(second, pod)).contains("\"value\":\"t1\"").contains("\"value\":\"[REDACTED]\"")
                .doesNotContain("t2");
    }

    @Test
    void hashMaskingGivesTheHmacOfTheValueSoEqualValuesCorrelate() throws Exception {
        var s = settings(false, List.of(), List.of("/user"), MaskWith.HASH, "pepper");
        String plain = redact(s, "{\"user\":\"alice@example.com\",\"n\":1}");
        String escaped = redact(s, "{\"user\":\"alice\\u0040example.com\",\"n\":2}");
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("pepper".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal("alice@example.com".getBytes(StandardCharsets.UTF_8)));
        assertThat(plain).isEqualTo("{\"user\":\"" + expected + "\",\"n\":1}");
        assertThat(escaped).isEqualTo("{\"user\":\"" + expected + "\",\"n\":2}");
        assertThat(redact(s, "{\"user\":{\"id\":7}}")).doesNotContain("\"id\"");
    }

    @Test
    void markerMaskingReplacesAnyValue() throws Exception {
        var s = settings(false, List.of(), List.of("/input/review/userInfo"), MaskWith.MARKER, "");
        assertThat(redact(s, "{\"input\":{\"review\":{\"userInfo\":{\"username\":\"bob\",\"groups\":[\"a\"]}}}}"))
                .isEqualTo("{\"input\":{\"review\":{\"userInfo\":\"[REDACTED]\"}}}");
    }

    @Test
    void recordsThatNoRuleTargetsAreNotRewritten() throws Exception {
        var s = settings(true, List.of("/input/review/object/spec/containers/*/env"), List.of("/user"), MaskWith.MARKER,
                "");
        assertThat(redact(s, "{\"input\":{\"review\":{\"object\":{\"kind\":\"Pod\",\"spec\":{}}}},\"n\":[1]}")).isNull();
    }

    @Test
    void pointersAreCheckedWithAReason() {
        assertThat(JsonPointer.segments("/a~1b/c~0d/*")).containsExactly("a/b", "c~d", "*");
        assertThat(JsonPointer.segments("/a/")).containsExactly("a", "");
        assertThatThrownBy(() -> JsonPointer.segments("input/review")).hasMessageContaining("must start with '/'");
        assertThatThrownBy(() -> JsonPointer.segments("/a~2")).hasMessageContaining("'~' at 2");
        assertThatThrownBy(() -> JsonPointer.segments("")).hasMessageContaining("whole record");
    }
}
