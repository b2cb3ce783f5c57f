package io.github.decisionlog.exporter.ingest;

/**
 * Cuts a byte stream into {@code \n}-terminated lines of at most {@code maxLineBytes}. A longer line is reported once,
 * with its first {@code maxLineBytes} bytes, and the rest of it is skipped up to its newline without being buffered. A line that fits in one read chunk is handed over in place,
 * without a copy; only lines that span chunks are gathered in a buffer that grows up to the limit and is reused.
 */
final class LineFramer {

    /** Receives the lines; the bytes are only valid during the call. */
    interface LineHandler {
        void onLine(byte[] buf, int off, int len);

        /** A line longer than the limit; {@code head} holds its first {@code maxLineBytes} bytes, valid during the call. */
        void onTooLong(byte[] head, int off, int len);
    }

    private final int maxLineBytes;
    private final LineHandler handler;
    private byte[] partial = new byte[8192];
    private int partialLen;
    private boolean skipping;

    LineFramer(int maxLineBytes, LineHandler handler) {
        this.maxLineBytes = maxLineBytes;
        this.handler = handler;
    }

    /** Feeds {@code len} bytes read from the stream. */
    void feed(byte[] chunk, int off, int len) {
        int end = off + len;
        int pos = off;
        while (pos < end) {
            int nl = indexOfNewline(chunk, pos, end);
            int segmentEnd = nl < 0 ? end : nl;
            int segmentLen = segmentEnd - pos;
            if (skipping) {
                if (nl >= 0) {
                    skipping = false;
                }
            } else if (partialLen + segmentLen > maxLineBytes) {
                append(chunk, pos, maxLineBytes - partialLen);
                partialLen = 0;
                handler.onTooLong(partial, 0, maxLineBytes);
                skipping = nl < 0;
            } else if (nl >= 0) {
                if (partialLen == 0) {
                    emit(chunk, pos, segmentLen);
                } else {
                    append(chunk, pos, segmentLen);
                    emit(partial, 0, partialLen);
                    partialLen = 0;
                }
            } else {
                append(chunk, pos, segmentLen);
            }
            pos = nl < 0 ? end : nl + 1;
        }
    }

    /** The stream ended: a last line without its newline still counts. */
    void endOfStream() {
        if (!skipping && partialLen > 0) {
            emit(partial, 0, partialLen);
        }
        partialLen = 0;
        skipping = false;
    }

    private void emit(byte[] buf, int off, int len) {
        if (len > 0 && buf[off + len - 1] == '\r') {
            len--; // tolerate CRLF
        }
        if (len > 0) {
            handler.onLine(buf, off, len);
        }
    }

    private void append(byte[] src, int off, int len) {
        int needed = partialLen + len;
        if (needed > partial.length) {
            partial = java.util.Arrays.copyOf(partial, Math.min(Math.max(needed, partial.length * 2), maxLineBytes));
        }
        System.arraycopy(src, off, partial, partialLen, len);
        partialLen = needed;
    }

    private static int indexOfNewline(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
