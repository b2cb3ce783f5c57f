package io.github.decisionlog.exporter.ingest;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Checks that a record is valid UTF-8 and exactly one JSON object, and reads the fields the exporter needs, in one
 * streaming pass that skips nested values without building them. The record's bytes are never re-encoded.
 */
final class RecordChecker {

    private static final JsonFactory JSON = new JsonFactory();

    /** Thrown for a record that is not accepted; carries the counted reason. */
    static final class Rejected extends Exception {
        final RejectReason reason;

        Rejected(RejectReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    DecisionFields check(byte[] buf, int off, int len) throws Rejected {
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
            String field;
            while ((field = p.nextName()) != null) {
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING) {
                    switch (field) {
                        case "eventType" -> eventType = p.getString();
                        case "id" -> id = p.getString();
                        case "message" -> message = p.getString();
                        case "resourceKind" -> kind = p.getString();
                        case "resourceNamespace" -> namespace = p.getString();
                        case "resourceName" -> name = p.getString();
                        default -> { }
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new Rejected(RejectReason.NOT_JSON, "unexpected " + p.currentToken());
            }
            if (p.nextToken() != null) {
                throw new Rejected(RejectReason.NOT_OBJECT, "more than one JSON value on the line");
            }
            return new DecisionFields(eventType, id, message, kind, namespace, name);
        } catch (JacksonException e) {
            throw new Rejected(RejectReason.NOT_JSON, e.getOriginalMessage());
        }
    }
}
