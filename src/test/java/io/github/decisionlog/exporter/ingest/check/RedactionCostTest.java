package io.github.decisionlog.exporter.ingest.check;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.github.decisionlog.exporter.ExporterProperties.Redact.MaskWith;
import io.github.decisionlog.exporter.support.DecisionRecords;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prints what the record checker's single pass costs per record with and without redaction rules, and what a
 * rewrite costs when a rule matches. The timings are printed, never asserted: the machine is shared.
 */
class RedactionCostTest {

    private static final int WARMUP = 100_000;
    private static final int ROUNDS = 7;
    private static final int PER_ROUND = 100_000;

    /** An admission decision about a Pod, with the Pod in its input: the rules look inside, nothing matches. */
    private static final String POD_ADMISSION = "{\"decisionId\":\"d-2\",\"eventType\":\"violation_admission\","
            + "\"constraintKind\":\"K8sRequiredLabels\",\"constraintName\":\"must-have-team\",\"constraintAction\":\"deny\","
            + "\"input\":{\"review\":{\"kind\":{\"group\":\"\",\"kind\":\"Pod\",\"version\":\"v1\"},"
            + "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":{\"app\":\"web\"},"
            + "\"name\":\"web-1\",\"namespace\":\"prod\"},\"spec\":{\"containers\":[{\"env\":[{\"name\":\"MODE\","
            + "\"value\":\"fast\"}],\"image\":\"nginx:1.27\",\"name\":\"web\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}}]},"
            + "\"status\":{}},\"oldObject\":null,\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"alice\","
            + "\"groups\":[\"dev\",\"system:authenticated\"]}}},\"message\":\"you must provide labels: team\","
            + "\"resourceKind\":\"Pod\",\"resourceName\":\"web-1\",\"resourceNamespace\":\"prod\"}";

    @Test
    void printsThePerRecordCostOfRedaction() throws Exception {
        var none = RedactionTest.settings(false);
        var builtIn = RedactionTest.settings(true);
        var more = RedactionTest.settings(true, List.of("/input/review/object/spec/containers/*/env"),
                List.of("/input/review/userInfo/username"), MaskWith.HASH, "salt");
        String audit = DecisionRecords.violation(1, 2, 3);
        String secret = DecisionRecords.secretAdmission("db");

        System.out.printf("redaction cost per record (ns of thread CPU time, best of %d rounds of %d records):%n", ROUNDS, PER_ROUND);
        report("audit record, ~1 KB, no rules", none, audit, false);
        report("audit record, ~1 KB, built-in rules", builtIn, audit, false);
        report("Pod admission with input, no rules", none, POD_ADMISSION, false);
        report("Pod admission with input, built-in rules (no match)", builtIn, POD_ADMISSION, false);
        report("Secret admission, no rules", none, secret, false);
        report("Secret admission, built-in rules (match, rewritten)", builtIn, secret, true);
        report("Pod admission, env erased + username hashed (match)", more, POD_ADMISSION, true);
    }

    private static void report(String what, io.github.decisionlog.exporter.ExporterProperties.Redact settings,
            String record, boolean expectMatch) throws Exception {
        RecordChecker checker = new RecordChecker(new RedactionRules(settings));
        Redactor redactor = new Redactor(settings);
        RedactionScan scan = new RedactionScan();
        byte[] b = record.getBytes(StandardCharsets.UTF_8);
        long sink = 0;
        for (int i = 0; i < WARMUP; i++) {
            sink += once(checker, redactor, scan, b);
        }
        // thread CPU time, not wall time: other builds share the cores; the best round is the least disturbed
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double ns = Double.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++) {
            long start = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < PER_ROUND; i++) {
                sink += once(checker, redactor, scan, b);
            }
            ns = Math.min(ns, (cpu.getCurrentThreadCpuTime() - start) / (double) PER_ROUND);
        }
        System.out.printf("  %-55s %5d B  %7.0f ns%n", what, b.length, ns);
        checker.check(b, 0, b.length, scan);
        assertThat(scan.matched()).isEqualTo(expectMatch);
        assertThat(sink).isPositive();
    }

    private static long once(RecordChecker checker, Redactor redactor, RedactionScan scan, byte[] b) throws Exception {
        DecisionFields fields = checker.check(b, 0, b.length, scan);
        if (scan.matched()) {
            return redactor.apply(b, 0, b.length, scan).length();
        }
        return fields.eventType().length();
    }
}
