package io.github.decisionlog.exporter.ingest.check;

/** Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF) without decoding to chars. */
final class Utf8 {

    private Utf8() {
    }

    static boolean isValid(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int c = b[i];
            if (c >= 0) { // ASCII, the common case
                i++;
                continue;
            }
            c &= 0xFF;
            int needed;
            int min;
            if (c >= 0xC2 && c <= 0xDF) {
                needed = 1;
                min = 0x80;
            } else if (c >= 0xE0 && c <= 0xEF) {
                needed = 2;
                min = 0x800;
            } else if (c >= 0xF0 && c <= 0xF4) {
                needed = 3;
                min = 0x10000;
            } else {
                return false;
            }
            if (i + needed >= end) {
                return false; // truncated sequence
            }
            int cp = c & (0x3F >> needed);
            for (int k = 1; k <= needed; k++) {
                int cc = b[i + k] & 0xFF;
                if ((cc & 0xC0) != 0x80) {
                    return false;
                }
                cp = (cp << 6) | (cc & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return false;
            }
            i += needed + 1;
        }
        return true;
    }
}
