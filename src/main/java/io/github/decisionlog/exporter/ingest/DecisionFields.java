package io.github.decisionlog.exporter.ingest;

/**
 * The few top-level string fields of a decision record that the exporter reads; everything else passes through
 * untouched. Any of them may be {@code null}.
 *
 * @param eventType {@code violation_audited}, {@code violation_admission}, or a producer's own type
 * @param id Gatekeeper's {@code id}: the audit run id, or the admission request uid
 * @param message the human-readable message; the audit control lines are told apart by it
 * @param resourceKind kind of the object the decision is about
 * @param resourceNamespace its namespace
 * @param resourceName its name
 */
public record DecisionFields(String eventType, String id, String message, String resourceKind,
        String resourceNamespace, String resourceName) {

    /** {@code kind/namespace/name} of the resource, which keeps one resource's decisions in order; or {@code null}. */
    public String resourceKey() {
        if (resourceKind == null && resourceNamespace == null && resourceName == null) {
            return null;
        }
        return nullToEmpty(resourceKind) + '/' + nullToEmpty(resourceNamespace) + '/' + nullToEmpty(resourceName);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
