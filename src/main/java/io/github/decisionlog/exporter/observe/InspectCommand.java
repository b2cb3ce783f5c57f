package io.github.decisionlog.exporter.observe;

import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

import ch.qos.logback.classic.Level;
import io.github.decisionlog.exporter.ExporterCommand;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.github.decisionlog.exporter.journal.Journal;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.github.decisionlog.exporter.journal.JournalInspection;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import org.slf4j.LoggerFactory;
import tools.jackson.core.json.JsonFactory;

/**
 * {@code java -jar decision-log-exporter.jar inspect --journal DIR [--dump] [--from INDEX|start|unacknowledged]
 * [--limit N]}: prints what a journal holds, and dumps its records as NDJSON, without starting the exporter and
 * without disturbing one that runs on the same journal.
 */
public final class InspectCommand {

    private static final String USAGE = "usage: inspect --journal DIR [--dump] "
            + "[--from INDEX|start|unacknowledged] [--limit N]";

    private static final JsonFactory JSON = new JsonFactory();

    /** {@code inspect ...} as a command of the jar, found by {@link ExporterCommand}'s service loader. */
    public static final class AsCommand implements ExporterCommand {
        @Override
        public String name() {
            return "inspect";
        }

        @Override
        public int run(String[] args, PrintStream out, PrintStream err) {
            return InspectCommand.run(args, out, err);
        }
    }

    private InspectCommand() {
    }

    /** Runs the command and returns the process exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        logErrorsOnlyToStderr();
        Path journal = null;
        boolean dump = false;
        String from = "unacknowledged";
        int limit = 10;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--journal" -> journal = Path.of(args[++i]);
                    case "--dump" -> dump = true;
                    case "--from" -> from = args[++i];
                    case "--limit" -> limit = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (journal == null) {
                throw new IllegalArgumentException("--journal is required");
            }
        } catch (RuntimeException e) {
            err.println(e.getMessage() + "\n" + USAGE);
            return 2;
        }
        try (JournalInspection inspection = new JournalInspection(journal)) {
            if (!dump) {
                printSummary(inspection.summary(), out);
                return 0;
            }
            long start = switch (from) {
                case "start" -> Journal.NO_RECORD;
                case "unacknowledged" -> {
                    JournalEntry next = inspection.firstUnacknowledged(inspection.acknowledgedIndex());
                    if (next == null) {
                        yield Long.MAX_VALUE;
                    }
                    yield next.index();
                }
                default -> Long.decode(from);
            };
            if (start != Long.MAX_VALUE) {
                long ack = inspection.acknowledgedIndex();
                inspection.dump(start, limit, entry -> out.println(toJson(entry, ack)));
            }
            return 0;
        } catch (Exception e) {
            err.println("inspect: " + e.getMessage());
            return 1;
        }
    }

    /** Standard output carries the dump: library logging goes to standard error, and only errors. */
    private static void logErrorsOnlyToStderr() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.reset();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setTarget("System.err");
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%level %logger{20}: %msg%n");
        encoder.start();
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.ERROR);
        root.addAppender(stderr);
    }

    private static void printSummary(JournalInspection.Summary s, PrintStream out) {
        out.println("journal:                " + s.dir().toAbsolutePath() + " (id " + s.journalId() + ")");
        out.println("size on disk:           " + s.bytesOnDisk() + " bytes");
        out.println("first record:           " + index(s.firstIndex()));
        out.println("last record:            " + index(s.lastIndex()));
        out.println("acknowledged up to:     " + index(s.acknowledgedIndex()));
        out.println("backlog:                " + s.backlogRecords() + " records");
        out.println("oldest unacknowledged:  " + (s.oldestUnacknowledgedAtMillis() == 0 ? "none"
                : Instant.ofEpochMilli(s.oldestUnacknowledgedAtMillis()) + " ("
                        + (System.currentTimeMillis() - s.oldestUnacknowledgedAtMillis()) / 1000 + " s ago)"));
    }

    private static String index(long index) {
        return index == Journal.NO_RECORD ? "none" : "0x" + Long.toHexString(index);
    }

    /** Whether {@code text} is one JSON value and nothing else. */
    private static boolean isJson(String text) {
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), text)) {
            if (p.nextToken() == null) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (JacksonException notJson) {
            return false;
        }
    }

    /**
     * One entry as a JSON object; the record itself is embedded as it was received, or, when it is not JSON (a record
     * refused at ingest), as a string.
     */
    static String toJson(JournalEntry e, long acknowledgedIndex) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), w)) {
            g.writeStartObject();
            g.writeStringProperty("index", "0x" + Long.toHexString(e.index()));
            g.writeStringProperty("recordId", e.recordId());
            g.writeStringProperty("receivedAt", Instant.ofEpochMilli(e.receivedAtMillis()).toString());
            g.writeStringProperty("source", e.meta().source());
            g.writeStringProperty("eventType", e.meta().eventType());
            g.writeStringProperty("resourceKey", e.meta().resourceKey());
            g.writeStringProperty("constraintKey", e.meta().constraintKey());
            g.writeStringProperty("runId", e.meta().runId());
            g.writeBooleanProperty("acknowledged",
                    acknowledgedIndex != Journal.NO_RECORD && e.index() <= acknowledgedIndex);
            String record = new String(e.payload(), StandardCharsets.UTF_8);
            if (e.meta().rejectReason() != null || !isJson(record)) {
                // refused at ingest, kept as it came: not JSON, so it goes in as a string
                if (e.meta().rejectReason() != null) {
                    g.writeStringProperty("rejectReason", e.meta().rejectReason());
                }
                g.writeStringProperty("record", record);
            } else {
                g.writeName("record");
                g.writeRawValue(record);
            }
            g.writeEndObject();
        }
        return w.toString();
    }
}
