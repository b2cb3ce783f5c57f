package io.github.decisionlog.exporter.ingest;

/**
 * Cuts a byte stream into {@code \n}-terminated lines of at most {@code maxLineBytes}. A longer line is reported once,
 * with its first {@code maxLineBytes} bytes, and the rest of it is skipped up to its newline without being buffered. A line that fits in one read chunk is handed over in place,
 * without a copy; only lines that span chunks are gathered in a buffer that grows up to the limit. Up to
 * {@link #UNRESERVED} bytes that buffer is kept and reused; a line that needs more first takes room (see
 * {@link Room}), and its larger buffer is dropped and the room given back once the line is handed over.
 */
public final class LineFramer {

    /** Receives the lines; the bytes are only valid during the call. */
    public interface LineHandler {
        void onLine(byte[] buf, int off, int len);

        /** A line longer than the limit; {@code head} holds its first {@code maxLineBytes} bytes, valid during the call. */
        void onTooLong(byte[] head, int off, int len);
    }

    /**
     * Memory shared with other framers: {@link #take()} waits until one long line may be gathered (or throws to give
     * up), {@link #giveBack()} returns it.
     */
    public interface Room {
        void take();

        void giveBack();
    }

    /** The gathering buffer a framer keeps without taking room. */
    public static final int UNRESERVED = 64 * 1024;

    private static final int INITIAL = 8192;

    private final int maxLineBytes;
    private final LineHandler handler;
    private final Room room;
    private byte[] partial = new byte[INITIAL];
    private int partialLen;
    private boolean skipping;
    private boolean holdingRoom;

    public LineFramer(int maxLineBytes, LineHandler handler) {
        this(maxLineBytes, handler, null);
    }

    /** With {@code room}, a line longer than {@link #UNRESERVED} is gathered only in room taken from it. */
    public LineFramer(int maxLineBytes, LineHandler handler, Room room) {
        this.maxLineBytes = maxLineBytes;
        this.handler = handler;
        this.room = room;
    }

    /** Feeds {@code len} bytes read from the stream. */
    public void feed(byte[] chunk, int off, int len) {
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
                skipping = nl < 0;
                try {
                    handler.onTooLong(partial, 0, maxLineBytes);
                } finally {
                    lineDone();
                }
            } else if (nl >= 0) {
                if (partialLen == 0) {
                    emit(chunk, pos, segmentLen);
                } else {
                    append(chunk, pos, segmentLen);
                    int gathered = partialLen;
                    partialLen = 0;
                    try {
                        emit(partial, 0, gathered);
                    } finally {
                        lineDone();
                    }
                }
            } else {
                append(chunk, pos, segmentLen);
            }
            pos = nl < 0 ? end : nl + 1;
        }
    }

    /** The stream ended: a last line without its newline still counts. */
    public void endOfStream() {
        int gathered = skipping ? 0 : partialLen;
        partialLen = 0;
        skipping = false;
        try {
            if (gathered > 0) {
                emit(partial, 0, gathered);
            }
        } finally {
            lineDone();
        }
    }

    /** Drops what was gathered and gives back any room held: the stream is abandoned. */
    public void release() {
        partialLen = 0;
        skipping = false;
        lineDone();
    }

    /** After a gathered line was handed over: a buffer that needed room is dropped and the room given back. */
    private void lineDone() {
        if (holdingRoom) {
            partial = new byte[INITIAL];
            holdingRoom = false;
            room.giveBack();
        }
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
            int size = Math.min(Math.max(needed, partial.length * 2), maxLineBytes);
            if (room != null && !holdingRoom && size > UNRESERVED) {
                if (needed <= UNRESERVED) {
                    size = UNRESERVED;
                } else {
                    room.take(); // may wait: this connection reads nothing more from its producer meanwhile
                    holdingRoom = true;
                }
            }
            partial = java.util.Arrays.copyOf(partial, size);
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
