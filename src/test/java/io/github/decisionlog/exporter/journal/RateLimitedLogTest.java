package io.github.decisionlog.exporter.journal;

import java.util.concurrent.atomic.AtomicLong;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimitedLogTest {

    @Test
    void oneLinePerIntervalSaysHowManyWereLeftOut() {
        Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-log-test");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimitedLog log = new RateLimitedLog(logger, 60_000, now::get);

        for (int i = 0; i < 300; i++) { // a failure every 200 ms for a minute
            log.warn("Journal housekeeping failed: {}", "disk error " + i);
            now.addAndGet(200_000_000L);
        }
        log.warn("Journal housekeeping failed: {}", "disk error last");
        assertThat(lines.list).hasSize(2);
        assertThat(lines.list.get(0).getFormattedMessage()).isEqualTo("Journal housekeeping failed: disk error 0");
        assertThat(lines.list.get(1).getFormattedMessage())
                .isEqualTo("Journal housekeeping failed: disk error last (and 299 more like it in the last 60 s)");
    }
}
