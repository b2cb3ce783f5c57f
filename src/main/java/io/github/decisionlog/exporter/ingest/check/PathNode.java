package io.github.decisionlog.exporter.ingest.check;

import java.util.HashMap;
import java.util.Map;

/**
 * One step of the redaction paths, as a tree walked while a record is parsed: a member name or array index leads to
 * the next node; a node may say that its value is redacted, or that its value is compared for a rule's condition.
 */
final class PathNode {

    private final Map<String, PathNode> children = new HashMap<>();
    private PathNode any;
    /** The rule whose target this value is, or {@code null}. */
    RedactionRules.Rule rule;
    /** The condition decided by this value, or -1. */
    int condition = -1;
    /** The string the value must equal for the condition to hold. */
    String expected;

    PathNode child(String name) {
        PathNode exact = children.get(name);
        return exact != null ? exact : any;
    }

    /** The node for array element {@code index}; only called where a path goes into an array. */
    PathNode element(int index) {
        if (any != null || children.isEmpty()) {
            return any;
        }
        return children.get(Integer.toString(index));
    }

    boolean hasChildren() {
        return any != null || !children.isEmpty();
    }

    PathNode add(String segment) {
        if (JsonPointer.ANY.equals(segment)) {
            if (any == null) {
                any = new PathNode();
            }
            return any;
        }
        return children.computeIfAbsent(segment, s -> new PathNode());
    }
}
