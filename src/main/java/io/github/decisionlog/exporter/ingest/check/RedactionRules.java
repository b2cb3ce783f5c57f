package io.github.decisionlog.exporter.ingest.check;

import java.util.List;

import io.github.decisionlog.exporter.ExporterProperties;

/**
 * The redaction settings compiled into a tree of paths that the record checker walks in its single pass. The
 * built-in Secret rules carry a condition: the Secret's {@code kind} often comes after its {@code data} (Kubernetes
 * objects marshalled from maps have sorted keys), so the pass notes both and decides at the end.
 */
public final class RedactionRules {

    /** What happens to a targeted value. */
    enum Action { ERASE, MASK }

    /**
     * @param name how the rule is named in logs
     * @param condition the condition that must hold for the rule to apply, or -1
     */
    record Rule(String name, Action action, int condition) {
    }

    /** Where Gatekeeper's decision log carries the object under review, and the object before an update or delete. */
    static final List<String> SECRET_HOLDERS = List.of("/input/review/object", "/input/review/oldObject");
    /** What the built-in rules erase from a Secret; the annotation holds the whole Secret as kubectl applied it. */
    static final List<String> SECRET_FIELDS = List.of("/data", "/stringData",
            "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration");

    private final PathNode root = new PathNode();
    private int conditions;
    private boolean empty = true;

    public RedactionRules(ExporterProperties.Redact settings) {
        if (settings.secrets()) {
            for (String holder : SECRET_HOLDERS) {
                int condition = condition(holder + "/kind", "Secret");
                for (String field : SECRET_FIELDS) {
                    add(holder + field, new Rule("secrets", Action.ERASE, condition));
                }
            }
        }
        for (String pointer : settings.erase()) {
            add(pointer, new Rule("erase " + pointer, Action.ERASE, -1));
        }
        for (String pointer : settings.mask()) {
            add(pointer, new Rule("mask " + pointer, Action.MASK, -1));
        }
    }

    /** The node for a top-level member, or {@code null} when no rule looks inside it. */
    PathNode top(String name) {
        return empty ? null : root.child(name);
    }

    private int condition(String pointer, String expected) {
        PathNode node = node(pointer);
        node.condition = conditions;
        node.expected = expected;
        return conditions++;
    }

    private void add(String pointer, Rule rule) {
        PathNode node = node(pointer);
        Rule existing = node.rule;
        // the stronger rule wins: unconditional over conditional, erase over mask
        if (existing == null || (existing.condition() >= 0 && rule.condition() < 0)
                || (existing.condition() >= 0 == rule.condition() >= 0 && rule.action() == Action.ERASE)) {
            node.rule = rule;
        }
        empty = false;
    }

    private PathNode node(String pointer) {
        PathNode node = root;
        for (String segment : JsonPointer.segments(pointer)) {
            node = node.add(segment);
        }
        return node;
    }
}
