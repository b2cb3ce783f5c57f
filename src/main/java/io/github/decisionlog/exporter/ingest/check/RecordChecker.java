package io.github.decisionlog.exporter.ingest.check;

import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;

/**
 * Checks that a record is valid UTF-8 and exactly one JSON object, reads the fields the exporter needs, and finds the
 * values that redaction rules target, in one streaming pass that skips nested values without building them. Only
 * members on a redaction path are descended into. The record's bytes are never re-encoded here.
 */
public final class RecordChecker {

    /**
     * Parser buffers are recycled per thread: every connection has its own thread, and the default shared pool made
     * them contend on one deque for every record.
     */
    private static final JsonFactory JSON = JsonFactory.builder().recyclerPool(JsonRecyclerPools.threadLocalPool())
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(RecordChecker.MAX_DEPTH).build())
            .build();

    /**
     * The deepest nesting of arrays and objects a record may have (Jackson's default, said here): Kubernetes objects
     * nest a few dozen levels; a deeper line is refused as {@code too_deep} before it costs more than one pass.
     */
    public static final int MAX_DEPTH = 500;

    private final RedactionRules rules;

    public RecordChecker(RedactionRules rules) {
        this.rules = rules;
    }

    /** Thrown for a record that is not accepted; carries the counted reason. */
    public static final class Rejected extends Exception {
        public final RejectReason reason;

        Rejected(RejectReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    /** Checks a record; what redaction rules target is left in {@code scan}, reset first. */
    public DecisionFields check(byte[] buf, int off, int len, RedactionScan scan) throws Rejected {
        scan.reset();
        if (!Utf8.isValid(buf, off, len)) {
            throw new Rejected(RejectReason.NOT_UTF8, "not valid UTF-8");
        }
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), buf, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Rejected(RejectReason.NOT_OBJECT, "not a JSON object");
            }
            String eventType = null;
            String id = null;
            String message = null;
            String kind = null;
            String namespace = null;
            String name = null;
            String action = null;
            String constraintKind = null;
            String constraintName = null;
            List<String> actions = null;
            String field;
            while ((field = p.nextName()) != null) {
                PathNode node = rules.top(field);
                int keyStart = node == null ? -1 : (int) p.currentTokenLocation().getByteOffset();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING) {
                    switch (field) {
                        case "eventType" -> eventType = p.getString();
                        case "id" -> id = p.getString();
                        case "message" -> message = p.getString();
                        case "resourceKind" -> kind = p.getString();
                        case "resourceNamespace" -> namespace = p.getString();
                        case "resourceName" -> name = p.getString();
                        case "enforcementAction", "constraintAction" -> action = p.getString();
                        case "kind", "constraintKind" -> constraintKind = p.getString();
                        case "name", "constraintName" -> constraintName = p.getString();
                        default -> { }
                    }
                }
                if (node != null) {
                    visit(p, value, node, keyStart, scan);
                } else if (value == JsonToken.START_ARRAY && field.equals("enforcementActions")) {
                    actions = actions(p);
                } else if (value != JsonToken.VALUE_STRING) {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new Rejected(RejectReason.NOT_JSON, "unexpected " + p.currentToken());
            }
            if (p.nextToken() != null) {
                throw new Rejected(RejectReason.NOT_OBJECT, "more than one JSON value on the line");
            }
            return new DecisionFields(eventType, id, message, kind, namespace, name, action, constraintKind,
                    constraintName, actions);
        } catch (StreamConstraintsException e) {
            boolean tooDeep = String.valueOf(e.getOriginalMessage()).contains("getMaxNestingDepth");
            throw new Rejected(tooDeep ? RejectReason.TOO_DEEP : RejectReason.NOT_JSON, e.getOriginalMessage());
        } catch (JacksonException e) {
            throw new Rejected(RejectReason.NOT_JSON, e.getOriginalMessage());
        }
    }

    /**
     * The actions of Gatekeeper's {@code enforcementActions} array, the parser on its start. Gatekeeper writes strings
     * ({@code ["deny","warn"]}); an element that is an object with an {@code action} string (the shape of a
     * constraint's {@code scopedEnforcementActions}) is read too, anything else is skipped.
     */
    private static List<String> actions(JsonParser p) {
        List<String> actions = new ArrayList<>(2);
        JsonToken element;
        while ((element = p.nextToken()) != JsonToken.END_ARRAY && element != null) {
            if (element == JsonToken.VALUE_STRING) {
                actions.add(p.getString());
            } else if (element == JsonToken.START_OBJECT) {
                String member;
                while ((member = p.nextName()) != null) {
                    if (p.nextToken() == JsonToken.VALUE_STRING && member.equals("action")) {
                        actions.add(p.getString());
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        return actions;
    }

    /**
     * Walks one value on a redaction path: notes its byte range if a rule targets it, its text if a condition reads
     * it, and goes on only into members and elements that lead further down a path.
     */
    private static void visit(JsonParser p, JsonToken token, PathNode node, int keyStart, RedactionScan scan) {
        int slot = node.rule == null ? -1
                : scan.begin(node.rule, keyStart, (int) p.currentTokenLocation().getByteOffset());
        if (node.condition >= 0 && token == JsonToken.VALUE_STRING && node.expected.equals(p.getString())) {
            scan.conditionMet(node.condition);
        }
        if (token == JsonToken.START_OBJECT && node.hasChildren()) {
            String name;
            while ((name = p.nextName()) != null) {
                PathNode child = node.child(name);
                int childKey = child == null ? -1 : (int) p.currentTokenLocation().getByteOffset();
                JsonToken value = p.nextToken();
                if (child == null) {
                    p.skipChildren();
                } else {
                    visit(p, value, child, childKey, scan);
                }
            }
        } else if (token == JsonToken.START_ARRAY && node.hasChildren()) {
            int index = 0;
            JsonToken value;
            while ((value = p.nextToken()) != JsonToken.END_ARRAY && value != null) {
                PathNode child = node.element(index++);
                if (child == null) {
                    p.skipChildren();
                } else {
                    visit(p, value, child, -1, scan);
                }
            }
        } else if (token.isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken(); // so that the current location is the end of the value
        }
        if (slot >= 0) {
            scan.end(slot, (int) p.currentLocation().getByteOffset());
        }
    }
}
