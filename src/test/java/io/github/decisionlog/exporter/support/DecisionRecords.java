package io.github.decisionlog.exporter.support;

/** Decision records shaped like Gatekeeper's audit export, about 1 KB each, with a sequence number per resource. */
public final class DecisionRecords {

    private static final String PAD = "x".repeat(560);

    private DecisionRecords() {
    }

    /** A violation of {@code pod-<producer>-<resource>} carrying {@code seq} in its details. */
    public static String violation(int producer, int resource, long seq) {
        return "{\"id\":\"2026-11-27T03:00:00Z\",\"details\":{\"missing_labels\":[\"test\"],\"seq\":" + seq
                + ",\"producer\":" + producer + ",\"note\":\"" + PAD + "\"},"
                + "\"eventType\":\"violation_audited\",\"group\":\"constraints.gatekeeper.sh\",\"version\":\"v1beta1\","
                + "\"kind\":\"K8sRequiredLabels\",\"name\":\"pod-must-have-test\","
                + "\"message\":\"you must provide labels: {\\\"test\\\"}\",\"enforcementAction\":\"deny\","
                + "\"resourceAPIVersion\":\"v1\",\"resourceKind\":\"Pod\",\"resourceNamespace\":\"team-" + producer
                + "\",\"resourceName\":\"pod-" + producer + "-" + resource + "\","
                + "\"resourceLabels\":{\"app\":\"nginx-ingress\",\"pod-template-hash\":\"79479fc6db\"}}";
    }
}
