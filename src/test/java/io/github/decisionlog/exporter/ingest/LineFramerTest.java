package io.github.decisionlog.exporter.ingest;


import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LineFramerTest {

    private final List<String> lines = new ArrayList<>();
    private int tooLong;
    private final List<String> heads = new ArrayList<>();
    private final LineFramer framer = new LineFramer(10, new LineFramer.LineHandler() {
        @Override
        public void onLine(byte[] buf, int off, int len) {
            lines.add(new String(buf, off, len, StandardCharsets.UTF_8));
        }

        @Override
        public void onTooLong(byte[] head, int off, int len) {
            tooLong++;
            heads.add(new String(head, off, len, StandardCharsets.UTF_8));
        }
    });

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        framer.feed(b, 0, b.length);
    }

    @Test
    void linesSplitAcrossReadsAreJoined() {
        feed("{\"a\"");
        feed(":1}\n{\"b\":2");
        feed("}\n");
        assertThat(lines).containsExactly("{\"a\":1}", "{\"b\":2}");
    }

    @Test
    void aLineOverTheLimitIsReportedOnceAndSkippedToItsNewline() {
        feed("0123456789ABC");
        feed("DEFGHIJKLMNOP");
        feed("QRS\nok\n");
        feed("0123456789X\nfine\n");
        assertThat(tooLong).isEqualTo(2);
        assertThat(lines).containsExactly("ok", "fine");
    }

    @Test
    void aLineOfExactlyTheLimitIsKept() {
        feed("0123456789\n01234");
        feed("56789\n");
        assertThat(lines).containsExactly("0123456789", "0123456789");
        assertThat(tooLong).isZero();
    }

    @Test
    void crlfAndBlankLinesAreTolerated() {
        feed("a\r\n\n\r\nb\n");
        assertThat(lines).containsExactly("a", "b");
    }

    @Test
    void aLastLineWithoutNewlineCountsAtEndOfStream() {
        feed("a\nlast");
        framer.endOfStream();
        assertThat(lines).containsExactly("a", "last");
    }

    @Test
    void anOverLongLastLineAtEndOfStreamIsNotDelivered() {
        feed("0123456789ABCDEF");
        framer.endOfStream();
        feed("next\n");
        assertThat(lines).containsExactly("next");
        assertThat(tooLong).isEqualTo(1);
    }

    @Test
    void anOverLongLineIsReportedWithItsFirstBytesEvenWhenItSpansReads() {
        feed("abcdef");
        feed("ghijklmnop\n{}\n");
        assertThat(heads).containsExactly("abcdefghij");
        assertThat(lines).containsExactly("{}");
    }

    @Test
    void onlyALineLongerThanOneReadTakesRoomAndGivesItBackOnceHandedOver() {
        java.util.concurrent.atomic.AtomicLong free = new java.util.concurrent.atomic.AtomicLong(1 << 20);
        List<Integer> lengths = new ArrayList<>();
        List<Long> freeDuringLine = new ArrayList<>();
        LineFramer shared = new LineFramer(1 << 20, new LineFramer.LineHandler() {
            @Override
            public void onLine(byte[] buf, int off, int len) {
                lengths.add(len);
                freeDuringLine.add(free.get());
            }

            @Override
            public void onTooLong(byte[] head, int off, int len) {
                lengths.add(-len);
                freeDuringLine.add(free.get());
            }
        }, new LineFramer.Room() {
            @Override
            public void take() {
                assertThat(free.getAndSet(0)).as("room free").isEqualTo(1 << 20);
            }

            @Override
            public void giveBack() {
                free.set(1 << 20);
            }
        });
        byte[] small = "{\"a\":1}\n{\"b\"".getBytes(StandardCharsets.UTF_8);
        shared.feed(small, 0, small.length);
        byte[] rest = ":2}\n".getBytes(StandardCharsets.UTF_8);
        shared.feed(rest, 0, rest.length);
        byte[] big = new byte[200_000];
        java.util.Arrays.fill(big, (byte) 'x');
        for (int off = 0; off < big.length; off += 64 * 1024) {
            shared.feed(big, off, Math.min(64 * 1024, big.length - off)); // a line spread over four reads
        }
        shared.feed(new byte[] {'\n'}, 0, 1);
        byte[] huge = new byte[(1 << 20) + 10];
        java.util.Arrays.fill(huge, (byte) 'y');
        huge[huge.length - 1] = '\n';
        shared.feed(huge, 0, huge.length);

        assertThat(lengths).containsExactly(7, 7, 200_000, -(1 << 20));
        assertThat(freeDuringLine).containsExactly(1L << 20, 1L << 20, 0L, 0L);
        assertThat(free.get()).as("given back").isEqualTo(1 << 20);
    }
}
