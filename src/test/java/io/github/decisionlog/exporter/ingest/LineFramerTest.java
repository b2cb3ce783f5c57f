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
}
