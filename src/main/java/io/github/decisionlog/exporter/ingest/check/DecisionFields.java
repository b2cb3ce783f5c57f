package io.github.decisionlog.exporter.ingest.check;

import java.util.List;

/**
 * The few top-level string fields of a decision record that the exporter reads; everything else passes through
 * untouched. Any of them may be {@code null}. Gatekeeper's export names the constraint {@code kind} and {@code name};
 * the proposed decision log names them {@code constraintKind} and {@code constraintName}, and its enforcement action
 * {@code constraintAction}: both spellings are read.
 *
 * @param eventType {@code violation_audited}, {@code violation_admission}, or a producer's own type
 * @param id Gatekeeper's {@code id}: the audit run id, or the admission request uid
 * @param message the human-readable message; the audit control lines are told apart by it
 * @param resourceKind kind of the object the decision is about
 * @param resourceNamespace its namespace
 * @param resourceName its name
 * @param enforcementAction {@code deny}, {@code dryrun}, {@code warn}, {@code scoped}
 * @param constraintKind kind of the violated constraint
 * @param constraintName name of the violated constraint
 * @param enforcementActions Gatekeeper's {@code enforcementActions}: with {@code "enforcementAction":"scoped"} the
 *        actions that really apply, for example {@code [deny, warn]}; empty when the record has none
 */
public record DecisionFields(String eventType, String id, String message, String resourceKind,
        String resourceNamespace, String resourceName, String enforcementAction, String constraintKind,
        String constraintName, List<String> enforcementActions) {

    public DecisionFields {
        enforcementActions = enforcementActions == null ? List.of() : enforcementActions;
    }

    public DecisionFields(String eventType, String id, String message, String resourceKind, String resourceNamespace,
            String resourceName, String enforcementAction, String constraintKind, String constraintName) {
        this(eventType, id, message, resourceKind, resourceNamespace, resourceName, enforcementAction, constraintKind,
                constraintName, List.of());
    }

    public DecisionFields(String eventType, String id, String message, String resourceKind, String resourceNamespace,
            String resourceName) {
        this(eventType, id, message, resourceKind, resourceNamespace, resourceName, null, null, null, List.of());
    }

    /** {@code kind/namespace/name} of the resource, which keeps one resource's decisions in order; or {@code null}. */
    public String resourceKey() {
        if (resourceKind == null && resourceNamespace == null && resourceName == null) {
            return null;
        }
        return nullToEmpty(resourceKind) + '/' + nullToEmpty(resourceNamespace) + '/' + nullToEmpty(resourceName);
    }

    /** {@code kind/name} of the violated constraint, which keeps one constraint's decisions in order; or {@code null}. */
    public String constraintKey() {
        if (constraintKind == null && constraintName == null) {
            return null;
        }
        return nullToEmpty(constraintKind) + '/' + nullToEmpty(constraintName);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
