package io.github.decisionlog.exporter.ingest.check;

import java.util.Set;

import io.github.decisionlog.exporter.ExporterProperties;

/**
 * The allow-lists of {@code exporter.filter.*}: which records are kept; an empty list keeps every record. A record
 * passes the enforcement-action list when its {@code enforcementAction} (or {@code constraintAction}) or one of its
 * {@code enforcementActions} (Gatekeeper's scoped enforcement) is on it.
 */
public final class RecordFilter {

    static final String EVENT_TYPE = "event_type";
    static final String ENFORCEMENT_ACTION = "enforcement_action";
    public static final java.util.List<String> REASONS = java.util.List.of(EVENT_TYPE, ENFORCEMENT_ACTION);

    private final Set<String> eventTypes;
    private final Set<String> enforcementActions;

    public RecordFilter(ExporterProperties.Filter settings) {
        this.eventTypes = Set.copyOf(settings.eventTypes());
        this.enforcementActions = Set.copyOf(settings.enforcementActions());
    }

    /** Why the record is dropped ({@code event_type}, {@code enforcement_action}), or {@code null} to keep it. */
    public String dropReason(DecisionFields fields) {
        if (!eventTypes.isEmpty() && (fields.eventType() == null || !eventTypes.contains(fields.eventType()))) {
            return EVENT_TYPE;
        }
        if (!enforcementActions.isEmpty() && !keepsAction(fields)) {
            return ENFORCEMENT_ACTION;
        }
        return null;
    }

    /**
     * Whether the record's enforcement action is allowed; for Gatekeeper's {@code "enforcementAction":"scoped"} the
     * actions that really apply are in {@code enforcementActions}, and one allowed action there keeps the record.
     */
    private boolean keepsAction(DecisionFields fields) {
        if (fields.enforcementAction() != null && enforcementActions.contains(fields.enforcementAction())) {
            return true;
        }
        for (String action : fields.enforcementActions()) {
            if (enforcementActions.contains(action)) {
                return true;
            }
        }
        return false;
    }
}
