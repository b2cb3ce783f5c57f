package io.github.decisionlog.exporter.support;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Writes files the way Gatekeeper's disk export driver does: an audit run goes into {@code <run id>.txt} (with
 * {@code :} as {@code _}) under a {@code flock}, starts and ends with a control line, and is renamed to {@code .log}
 * when finished; an admission segment goes from {@code admission-<time>-<hex>.open} to {@code .log}.
 */
public final class GatekeeperWriter {

    private static final DateTimeFormatter SEGMENT_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final Path channelDir;

    public GatekeeperWriter(Path exportPath, String channel) {
        this.channelDir = exportPath.resolve(channel);
    }

    public Path channelDir() {
        return channelDir;
    }

    /** Starts an audit run whose id is {@code start} in whole seconds; writes the "audit is started" line. */
    public AuditRun startRun(Instant start) throws IOException {
        String runId = DateTimeFormatter.ISO_INSTANT.format(start.truncatedTo(ChronoUnit.SECONDS));
        AuditRun run = new AuditRun(runId, channelDir.resolve(runId.replace(':', '_') + ".txt"));
        run.line("{\"id\":\"" + runId + "\",\"message\":\"audit is started\"}");
        return run;
    }

    /** Starts an admission segment named after {@code start}. */
    public Segment startSegment(Instant start) throws IOException {
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        String name = "admission-" + SEGMENT_TIME.format(start) + "-" + HexFormat.of().formatHex(random) + ".open";
        return new Segment(channelDir.resolve(name));
    }

    /**
     * A file being written: created, locked, appended to, then renamed to {@code .log}. An audit run keeps its lock
     * from creation until it is renamed, as Gatekeeper's audit writer holds it from the run's first line to its last:
     * a closed but unrenamed run is still its writer's. {@link #abandon} is a writer that died mid-run.
     */
    public static class OpenFile implements AutoCloseable {
        private final Path path;
        private final BufferedWriter out;
        private final Flock lock;
        private final boolean lockedUntilRenamed;
        private Path finished;

        OpenFile(Path path, boolean lockedUntilRenamed) throws IOException {
            Files.createDirectories(path.getParent());
            this.lockedUntilRenamed = lockedUntilRenamed;
            this.path = path;
            this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            this.lock = Flock.exclusive(path);
        }

        /** Appends one line as it is; a newline follows. */
        public void line(String json) throws IOException {
            out.write(json);
            out.write('\n');
        }

        /** The path while it is written. */
        public Path path() {
            return path;
        }

        /** Makes what was written so far visible to readers of the file, without finishing it. */
        public void flush() throws IOException {
            out.flush();
        }

        /** Closes the file, releases the lock and renames it to {@code .log}: it is complete from now on. */
        public Path finish() throws IOException {
            close();
            return rename();
        }

        /** Renames the closed file to {@code .log}, whoever holds a lock on it. */
        public Path rename() throws IOException {
            String name = path.getFileName().toString();
            Path target = path.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".log");
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
            finished = target;
            lock.close();
            return target;
        }

        /** Closes the file and releases its lock without renaming it: its writer died, the file stays behind. */
        public void abandon() throws IOException {
            out.close();
            lock.close();
        }

        /** The {@code .log} path once finished. */
        public Path finished() {
            return finished;
        }

        /** Closes the file; releases the lock too, unless it is an audit run that is not renamed yet. */
        @Override
        public void close() throws IOException {
            out.close();
            if (!lockedUntilRenamed || finished != null) {
                lock.close();
            }
        }
    }

    /** An audit run file. */
    public static final class AuditRun extends OpenFile {
        private final String runId;

        AuditRun(String runId, Path path) throws IOException {
            super(path, true);
            this.runId = runId;
        }

        public String runId() {
            return runId;
        }

        /** Writes a {@code violation_audited} line of {@code constraint} about pod {@code pod-<seq>}. */
        public void violation(String constraint, long seq) throws IOException {
            line(auditViolation(runId, constraint, seq));
        }

        /** Writes the "audit is completed" line. */
        public void completed() throws IOException {
            line("{\"id\":\"" + runId + "\",\"message\":\"audit is completed\"}");
        }
    }

    /** An admission segment. */
    public static final class Segment extends OpenFile {
        Segment(Path path) throws IOException {
            super(path, false);
        }

        /** Writes a {@code violation_admission} line for request {@code uid}. */
        public void violation(String uid, long seq) throws IOException {
            line(admissionViolation(uid, seq));
        }
    }

    /** One {@code violation_admission} line of a {@code deny} constraint, about pod {@code web-<seq>}. */
    public static String admissionViolation(String uid, long seq) {
        return "{\"id\":\"" + uid + "\",\"details\":{\"seq\":" + seq + "},\"eventType\":\"violation_admission\","
                + "\"group\":\"constraints.gatekeeper.sh\",\"version\":\"v1beta1\",\"kind\":\"K8sAllowedRepos\","
                + "\"name\":\"repo-is-openpolicyagent\",\"message\":\"container \\u003cnginx\\u003e has an "
                + "invalid image repo\",\"enforcementAction\":\"deny\",\"resourceAPIVersion\":\"v1\","
                + "\"resourceKind\":\"Pod\",\"resourceNamespace\":\"default\",\"resourceName\":\"web-" + seq
                + "\",\"timestamp\":\"2026-08-05T10:15:30.123456789Z\",\"operation\":\"CREATE\","
                + "\"requestUsername\":\"kubernetes-admin\",\"dryRun\":false}";
    }

    /**
     * One {@code violation_admission} line as Gatekeeper master writes it ({@code pkg/webhook/policy.go}, fields in
     * {@code ExportMsg}'s order, empty ones left out) for a constraint with scoped enforcement:
     * {@code "enforcementAction":"scoped"} and the actions that apply to the webhook in {@code enforcementActions},
     * a list of strings. {@code padding} characters of {@code details} make the record as large as needed.
     */
    public static String scopedAdmissionViolation(String uid, long seq, List<String> actions, int padding) {
        String list = actions.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(","));
        return "{\"id\":\"" + uid + "\",\"details\":{\"missing_labels\":[\"owner\"],\"pad\":\"" + "x".repeat(padding)
                + "\",\"seq\":" + seq + "},\"eventType\":\"violation_admission\",\"group\":\"constraints.gatekeeper.sh\","
                + "\"version\":\"v1beta1\",\"kind\":\"K8sRequiredLabels\",\"name\":\"must-have-owner\","
                + "\"message\":\"you must provide labels: {\\\"owner\\\"}\",\"enforcementAction\":\"scoped\","
                + "\"enforcementActions\":[" + list + "],\"resourceAPIVersion\":\"v1\",\"resourceKind\":\"ConfigMap\","
                + "\"resourceNamespace\":\"team-a\",\"resourceName\":\"cm-" + seq + "\",\"resourceLabels\":{\"app\":\"web\"},"
                + "\"timestamp\":\"2026-08-05T10:15:30.123456789Z\",\"operation\":\"CREATE\","
                + "\"requestResource\":\"configmaps\",\"requestUsername\":\"kubernetes-admin\","
                + "\"requestUserUID\":\"9f1c\",\"requestUserGroups\":[\"system:masters\",\"system:authenticated\"],"
                + "\"dryRun\":false}";
    }

    /** One {@code violation_audited} line as Gatekeeper writes it (sorted keys in maps, about 450 bytes). */
    public static String auditViolation(String runId, String constraint, long seq) {
        return "{\"id\":\"" + runId + "\",\"details\":{\"missing_labels\":[\"test\"],\"seq\":" + seq + "},"
                + "\"eventType\":\"violation_audited\",\"group\":\"constraints.gatekeeper.sh\",\"version\":\"v1beta1\","
                + "\"kind\":\"K8sRequiredLabels\",\"name\":\"" + constraint + "\","
                + "\"message\":\"you must provide labels: {\\\"test\\\"}\",\"enforcementAction\":\"deny\","
                + "\"resourceAPIVersion\":\"v1\",\"resourceKind\":\"Pod\",\"resourceNamespace\":\"ns-" + (seq % 7)
                + "\",\"resourceName\":\"pod-" + seq + "\","
                + "\"resourceLabels\":{\"app\":\"nginx-ingress\",\"pod-template-hash\":\"79479fc6db\"}}";
    }
}
