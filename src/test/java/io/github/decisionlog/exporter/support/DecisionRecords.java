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

    /** What the Secret in {@link #secretAdmission} holds: it must never reach the journal or Kafka. */
    public static final String SECRET_VALUE = "czNjcjN0LXZhbHVl";
    public static final String SECRET_TOKEN = "plain-token-value";

    /**
     * An admission decision whose input carries a Secret, keys sorted as Kubernetes marshals them: {@code data}
     * before {@code kind}.
     */
    public static String secretAdmission(String name) {
        return "{\"decisionId\":\"d-" + name + "\",\"eventType\":\"violation_admission\","
                + "\"constraintKind\":\"K8sNoSecrets\",\"constraintName\":\"no-secrets\",\"constraintAction\":\"deny\","
                + "\"input\":{\"review\":{\"kind\":{\"group\":\"\",\"kind\":\"Secret\",\"version\":\"v1\"},"
                + "\"object\":{\"apiVersion\":\"v1\",\"data\":{\"password\":\"" + SECRET_VALUE + "\"},\"kind\":\"Secret\","
                + "\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                + "\"{\\\"data\\\":{\\\"password\\\":\\\"" + SECRET_VALUE + "\\\"}}\"},\"name\":\"" + name + "\"},"
                + "\"stringData\":{\"token\":\"" + SECRET_TOKEN + "\"},\"type\":\"Opaque\"},"
                + "\"operation\":\"CREATE\"}},"
                + "\"resourceKind\":\"Secret\",\"resourceName\":\"" + name + "\",\"resourceNamespace\":\"prod\"}";
    }
}
