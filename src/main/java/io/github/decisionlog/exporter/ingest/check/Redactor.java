package io.github.decisionlog.exporter.ingest.check;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.github.decisionlog.exporter.ExporterProperties;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Rewrites a record whose scan found targets: the bytes between targets are copied as they are, an erased member
 * goes with its name and one comma, a masked value becomes the marker or its HMAC. Nothing else is re-encoded.
 */
public final class Redactor {

    private static final JsonFactory JSON = new JsonFactory();
    private static final String HMAC = "HmacSHA256";

    private final byte[] marker;
    private final boolean hash;
    private final ThreadLocal<Mac> macs;

    public Redactor(ExporterProperties.Redact settings) {
        this.hash = settings.maskWith() == ExporterProperties.Redact.MaskWith.HASH;
        this.marker = quoted(settings.marker());
        byte[] key = settings.salt().getBytes(StandardCharsets.UTF_8);
        this.macs = hash ? ThreadLocal.withInitial(() -> mac(key)) : null;
    }

    /** The record with every applying target redacted; the scan's offsets are relative to {@code off}. */
    public Redacted apply(byte[] buf, int off, int len, RedactionScan scan) {
        byte[] out = new byte[len + 64];
        int outLen = 0;
        int copied = 0; // relative to off
        int applied = 0;
        for (int i = 0; i < scan.size(); i++) {
            if (!scan.applies(i) || scan.start(i) < copied) {
                continue; // a rule that does not hold here, or a target inside one already redacted
            }
            boolean erase = scan.rule(i).action() == RedactionRules.Action.ERASE;
            int from = erase && scan.keyStart(i) >= 0 ? scan.keyStart(i) : scan.start(i);
            int to = scan.end(i);
            out = ensure(out, outLen, from - copied);
            System.arraycopy(buf, off + copied, out, outLen, from - copied);
            outLen += from - copied;
            if (erase) {
                int next = skipWhitespace(buf, off + to, off + len);
                if (next < off + len && buf[next] == ',') {
                    to = next + 1 - off; // the member's own comma goes with it
                } else {
                    outLen = dropTrailingComma(out, outLen); // the last member: the comma before it goes
                }
            } else {
                byte[] replacement = hash ? hashOf(buf, off + scan.start(i), to - scan.start(i)) : marker;
                out = ensure(out, outLen, replacement.length);
                System.arraycopy(replacement, 0, out, outLen, replacement.length);
                outLen += replacement.length;
            }
            copied = to;
            applied++;
        }
        out = ensure(out, outLen, len - copied);
        System.arraycopy(buf, off + copied, out, outLen, len - copied);
        outLen += len - copied;
        return new Redacted(out, outLen, applied);
    }

    /** A rewritten record: {@code bytes[0..length)}, and how many values were erased or masked. */
    public record Redacted(byte[] bytes, int length, int count) {
    }

    /** A string is hashed as its text, so that differently escaped equal strings correlate; others as JSON text. */
    private byte[] hashOf(byte[] buf, int off, int len) {
        byte[] value = Arrays.copyOfRange(buf, off, off + len);
        if (len > 0 && buf[off] == '"') {
            try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), buf, off, len)) {
                if (p.nextToken() == JsonToken.VALUE_STRING) {
                    value = p.getString().getBytes(StandardCharsets.UTF_8);
                }
            }
        }
        Mac mac = macs.get();
        return quoted(HexFormat.of().formatHex(mac.doFinal(value)));
    }

    private static int skipWhitespace(byte[] b, int i, int end) {
        while (i < end && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) {
            i++;
        }
        return i;
    }

    private static int dropTrailingComma(byte[] out, int len) {
        int i = len - 1;
        while (i >= 0 && (out[i] == ' ' || out[i] == '\t' || out[i] == '\r' || out[i] == '\n')) {
            i--;
        }
        return i >= 0 && out[i] == ',' ? i : len;
    }

    private static byte[] ensure(byte[] out, int len, int more) {
        return len + more <= out.length ? out : Arrays.copyOf(out, Math.max(out.length * 2, len + more));
    }

    /** A JSON string literal of {@code s}. */
    static byte[] quoted(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
