package io.github.decisionlog.exporter.ingest.check;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON Pointer (RFC 6901) syntax, as the redaction settings use it. One extension: a segment {@code *} stands for
 * every member of an object or element of an array, so that one pointer reaches, for example, the {@code env} of
 * every container.
 */
public final class JsonPointer {

    /** The segment that matches any member or element. */
    public static final String ANY = "*";

    private JsonPointer() {
    }

    /** The unescaped segments of a pointer; throws {@link IllegalArgumentException} saying what is wrong. */
    public static List<String> segments(String pointer) {
        if (pointer == null || pointer.isEmpty()) {
            throw new IllegalArgumentException("it is empty, which would name the whole record");
        }
        if (pointer.charAt(0) != '/') {
            throw new IllegalArgumentException("it must start with '/'");
        }
        List<String> segments = new ArrayList<>();
        StringBuilder segment = new StringBuilder();
        for (int i = 1; i <= pointer.length(); i++) {
            char c = i < pointer.length() ? pointer.charAt(i) : '/';
            if (c == '/') {
                segments.add(segment.toString());
                segment.setLength(0);
            } else if (c == '~') {
                char next = i + 1 < pointer.length() ? pointer.charAt(i + 1) : 0;
                if (next != '0' && next != '1') {
                    throw new IllegalArgumentException("'~' at " + i + " must be followed by 0 (for ~) or 1 (for /)");
                }
                segment.append(next == '0' ? '~' : '/');
                i++;
            } else {
                segment.append(c);
            }
        }
        return segments;
    }
}
