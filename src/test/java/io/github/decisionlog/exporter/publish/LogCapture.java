package io.github.decisionlog.exporter.publish;

import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/**
 * The log lines of a package while a test runs (the publish package unless named), as an operator reads them. Spring
 * Boot stops and resets logging when an application starts, which detaches every appender and forgets every context
 * listener, so a watcher attaches the appender again whenever it is gone.
 */
final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Thread watcher;
    private volatile boolean open = true;

    LogCapture() {
        this("io.github.decisionlog.exporter.publish");
    }

    LogCapture(String name) {
        logger = (Logger) LoggerFactory.getLogger(name);
        attach();
        watcher = new Thread(() -> {
            while (open) {
                attach();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "log-capture");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void attach() {
        if (!appender.isStarted()) {
            appender.start();
        }
        if (!logger.isAttached(appender)) {
            logger.addAppender(appender);
        }
    }

    List<String> lines() {
        synchronized (appender.list) {
            return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        }
    }

    /** Epoch milliseconds of the first line containing {@code text}, or -1. */
    long firstAt(String text) {
        synchronized (appender.list) {
            return appender.list.stream().filter(e -> e.getFormattedMessage().contains(text))
                    .mapToLong(ILoggingEvent::getTimeStamp).findFirst().orElse(-1);
        }
    }

    @Override
    public void close() {
        open = false;
        watcher.interrupt();
        logger.detachAppender(appender);
    }
}
