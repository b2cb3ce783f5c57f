package io.github.decisionlog.exporter;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every setting of the exporter, under {@code exporter.*}. The documented defaults are in the top-level
 * {@code application.yaml}; the values here are the same, so the exporter also starts without that file.
 */
@ConfigurationProperties("exporter")
@Validated
public record ExporterProperties(@Valid @DefaultValue Socket socket, @Valid @DefaultValue Datagram datagram,
        @Valid @DefaultValue Journal journal, @Valid @DefaultValue Publish publish, @Valid @DefaultValue Redact redact,
        @Valid @DefaultValue Filter filter, @Valid @DefaultValue Health health,
        @Valid @DefaultValue Gatekeeper gatekeeper) {

    /**
     * The largest record a journal entry holds: a Chronicle entry may take a quarter of a journal block (8 MiB), less
     * room for the entry's metadata.
     */
    public static final String LARGEST_RECORD = "1984KB";

    private static boolean fitsAJournalEntry(DataSize recordSize) {
        return recordSize.compareTo(DataSize.parse(LARGEST_RECORD)) <= 0;
    }

    /**
     * The unix stream socket that takes NDJSON.
     *
     * @param enabled whether to listen on the socket at all
     * @param path where the socket file is created; a stale file left by a crash is replaced
     * @param fileMode octal permissions of the socket file; producers need write permission to connect
     * @param fileGroup group (name or number) given to the socket file; empty keeps the exporter's own group
     * @param maxRecordSize a longer line is rejected as {@code too_large} and skipped up to its newline
     * @param maxConnections connections beyond this many are closed at once, with a log line
     * @param acknowledge write {@code ack <n>} lines back, so producers know what is durably accepted
     * @param allowedUids when not empty, only peers running as one of these uids may connect
     * @param lineMemory the heap that lines longer than 64 KB may take while they are read and checked, shared by all
     *        connections; each such line counts as max-record-size, and a connection that finds no room waits
     * @param idleTimeout a connection that sent nothing for this long is closed, so that idle ones do not keep every
     *        slot
     */
    public record Socket(@DefaultValue("true") boolean enabled,
            @NotNull @DefaultValue("/tmp/decision-log-exporter/decisions.sock") Path path,
            @Pattern(regexp = "[0-7]{3}", message = "must be three octal digits, for example 660")
            @DefaultValue("660") String fileMode,
            @NotNull @DefaultValue("") String fileGroup,
            @NotNull @DefaultValue("1MB") DataSize maxRecordSize,
            @Min(1) @DefaultValue("64") int maxConnections,
            @DefaultValue("false") boolean acknowledge,
            @NotNull @DefaultValue List<Long> allowedUids,
            @NotNull @DefaultValue("8MB") DataSize lineMemory,
            @NotNull @DefaultValue("5m") Duration idleTimeout) {

        @AssertTrue(message = "exporter.socket.max-record-size must be at most " + LARGEST_RECORD + " (what a journal "
                + "entry can hold)")
        public boolean isMaxRecordSizeJournalable() {
            return fitsAJournalEntry(maxRecordSize);
        }

        @AssertTrue(message = "exporter.socket.line-memory must be at least exporter.socket.max-record-size (one "
                + "line of that size must fit)")
        public boolean isLineMemoryEnoughForALine() {
            return lineMemory == null || maxRecordSize == null || lineMemory.compareTo(maxRecordSize) >= 0;
        }

        @AssertTrue(message = "exporter.socket.idle-timeout must be positive")
        public boolean isIdleTimeoutPositive() {
            return idleTimeout == null || !(idleTimeout.isNegative() || idleTimeout.isZero());
        }
    }

    /**
     * The unix datagram socket: one JSON object per datagram, no acknowledgement.
     *
     * @param enabled whether to listen on it at all
     * @param path where the socket file is created; a stale file left by a crash is replaced
     * @param fileMode octal permissions of the socket file; senders need write permission
     * @param fileGroup group (name or number) given to the socket file; empty keeps the exporter's own group
     * @param maxRecordSize a longer datagram is rejected as {@code too_large}
     */
    public record Datagram(@DefaultValue("false") boolean enabled,
            @NotNull @DefaultValue("/tmp/decision-log-exporter/decisions.dgram.sock") Path path,
            @Pattern(regexp = "[0-7]{3}", message = "must be three octal digits, for example 660")
            @DefaultValue("660") String fileMode,
            @NotNull @DefaultValue("") String fileGroup,
            @NotNull @DefaultValue("64KB") DataSize maxRecordSize) {

        @AssertTrue(message = "exporter.datagram.max-record-size must be at most " + LARGEST_RECORD + " (what a "
                + "journal entry can hold)")
        public boolean isMaxRecordSizeJournalable() {
            return fitsAJournalEntry(maxRecordSize);
        }
    }

    /**
     * The Chronicle Queue journal that holds every accepted record until Kafka acknowledges it.
     *
     * @param dir the journal directory; keep it on a volume of its own, never under Gatekeeper's export path
     * @param rollCycle how often a new journal file starts; acknowledged files are deleted whole once their cycle ended
     * @param retention acknowledged files are kept at least this long after their cycle ended
     * @param sync when appended records are forced to disk: {@code none} (page cache: survives a crash of the
     *        process, not of the node), {@code batch} (every sync-interval or sync-every records), {@code always}
     * @param syncInterval with {@code batch}, the longest time between two syncs
     * @param syncEvery with {@code batch}, the most records between two syncs
     * @param maxSize the cap on everything the journal keeps on disk, acknowledged or not; keep it below the size
     *        limit of the journal's volume
     * @param whenFull what a full journal does: {@code block} producers (back-pressure) or {@code drop} records
     * @param minFreeDisk less free space than this on the journal's file system counts as full too
     * @param lockTimeout how long start-up waits for another exporter to release the journal directory
     */
    public record Journal(@NotNull @DefaultValue("/tmp/decision-log-exporter/journal") Path dir,
            @NotNull @DefaultValue("MINUTELY") String rollCycle,
            @NotNull @DefaultValue("0s") Duration retention,
            @NotNull @DefaultValue("none") SyncPolicy sync,
            @NotNull @DefaultValue("100ms") Duration syncInterval,
            @Min(1) @DefaultValue("1000") int syncEvery,
            @NotNull @DefaultValue("2GB") DataSize maxSize,
            @NotNull @DefaultValue("block") WhenFull whenFull,
            @NotNull @DefaultValue("256MB") DataSize minFreeDisk,
            @NotNull @DefaultValue("2m") Duration lockTimeout,
            @NotNull @DefaultValue("4MB") DataSize touchAhead) {

        /** The smallest cap: 16 MiB are kept free under it, and Chronicle's files grow in 8 MiB blocks. */
        public static final String SMALLEST_MAX_SIZE = "64MB";

        @AssertTrue(message = "exporter.journal.max-size must be at least " + SMALLEST_MAX_SIZE + " (the journal's "
                + "files grow in blocks of 8 MiB, and two blocks are kept free under the cap)")
        public boolean isMaxSizeLargeEnough() {
            return maxSize == null || maxSize.compareTo(DataSize.parse(SMALLEST_MAX_SIZE)) >= 0;
        }

        /** The farthest the journal's pages are touched ahead of the appender: within the 16 MiB kept free. */
        public static final String LARGEST_TOUCH_AHEAD = "8MB";

        @AssertTrue(message = "exporter.journal.touch-ahead must be between 0 (off) and " + LARGEST_TOUCH_AHEAD
                + " (the pages touched ahead take disk space, and 16 MiB are kept free under max-size)")
        public boolean isTouchAheadInRange() {
            return touchAhead == null || (!touchAhead.isNegative()
                    && touchAhead.compareTo(DataSize.parse(LARGEST_TOUCH_AHEAD)) <= 0);
        }

        /** When appended records are forced to disk. */
        public enum SyncPolicy { NONE, BATCH, ALWAYS }

        /** What a full journal does to new records. */
        public enum WhenFull { BLOCK, DROP }
    }

    /**
     * The Kafka side. Producer settings (bootstrap servers, TLS, SASL, compression) are {@code spring.kafka.*}.
     *
     * @param topic the topic every decision goes to
     * @param maxInFlight records sent and not yet acknowledged, at most
     * @param maxInFlightBytes bytes of the records sent and not yet acknowledged, at most (their journal entries, and
     *        128 bytes each for the Kafka record around them); unset: half the producer's {@code buffer.memory}. It
     *        must stay below {@code buffer.memory}, so that a send never waits for room in the producer's buffer
     * @param retryInitialBackoff wait after the first failed send before the records are sent again
     * @param retryMaxBackoff the cap of the doubling wait between retries
     * @param closeTimeout how long a stop waits for sends already in flight once the drain has ended
     * @param drainTimeout on stop, after the sources have stopped, how long to keep sending the backlog before
     *        leaving the rest in the journal; keep it below the pod's termination grace period
     * @param deadLetterTopic where a record that Kafka refuses for good goes, and a journal entry that cannot be
     *        decoded (as its raw bytes); empty: it is counted, logged, skipped
     * @param poisonAttempts how often such a record is tried before it is dead-lettered
     * @param rejectsTopic where records refused at ingest go, raw, with the reason in a header; empty: nowhere
     * @param key what the Kafka key is made of
     * @param headers which headers the records carry
     * @param ceSource with CloudEvents headers, the {@code ce_source}; {@code {source}} is replaced by the source
     * @param delivery {@code at-least-once}: an idempotent producer, duplicates possible after a crash;
     *        {@code exactly-once}: a transactional producer that commits the journal position with the records, for
     *        consumers that read with {@code isolation.level=read_committed}
     * @param transactionInterval with exactly-once, a transaction ends at the latest this long after it began
     * @param transactionRecords with exactly-once, a transaction ends at the latest after this many records
     * @param offsetsTopic with exactly-once, the compacted topic that holds the journal position committed with each
     *        transaction, keyed by the journal id; created (cleanup.policy=compact) if missing and allowed
     * @param transactionalIdPrefix with exactly-once, the transactional id is this prefix and the journal id
     */
    public record Publish(@NotBlank @DefaultValue("gatekeeper-decisions") String topic,
            @Min(1) @DefaultValue("8192") int maxInFlight,
            DataSize maxInFlightBytes,
            @NotNull @DefaultValue("200ms") Duration retryInitialBackoff,
            @NotNull @DefaultValue("30s") Duration retryMaxBackoff,
            @NotNull @DefaultValue("10s") Duration closeTimeout,
            @NotNull @DefaultValue("20s") Duration drainTimeout,
            @DefaultValue("") String deadLetterTopic,
            @Min(1) @DefaultValue("3") int poisonAttempts,
            @NotNull @DefaultValue("") String rejectsTopic,
            @NotNull @DefaultValue("resource") KeyStrategy key,
            @NotNull @DefaultValue("plain") HeaderStyle headers,
            @NotBlank @DefaultValue("/decision-log-exporter/{source}") String ceSource,
            @NotNull @DefaultValue("at-least-once") Delivery delivery,
            @NotNull @DefaultValue("100ms") Duration transactionInterval,
            @Min(1) @DefaultValue("5000") int transactionRecords,
            @NotBlank @DefaultValue("decision-log-exporter-offsets") String offsetsTopic,
            @NotNull @DefaultValue("decision-log-exporter-") String transactionalIdPrefix) {

        /** What a consumer can count on: every record at least once, or exactly once with read_committed. */
        public enum Delivery { AT_LEAST_ONCE, EXACTLY_ONCE }

        /** What the Kafka key is made of; every record of one key lands in one partition, in order. */
        public enum KeyStrategy { RESOURCE, CONSTRAINT, RECORD_ID, NONE }

        /** {@code plain}: record_id, event_type, source, received_at, run_id; or CloudEvents binary mode. */
        public enum HeaderStyle { PLAIN, CLOUDEVENTS }
    }

    /**
     * Redaction, applied to every record before it is journaled.
     *
     * @param secrets the built-in rules: erase {@code data}, {@code stringData} and the last-applied-configuration
     *        annotation of Secret objects under {@code /input/review/object} and {@code /input/review/oldObject}
     * @param erase JSON Pointers of values to remove, with their member name
     * @param mask JSON Pointers of values to replace, as mask-with says
     * @param maskWith {@code marker}: the fixed marker; {@code hash}: HMAC-SHA256 of the value with the salt, in hex
     * @param marker the text that replaces a masked value
     * @param salt the HMAC key for {@code hash}; keep it secret, and the same wherever hashes are compared
     */
    public record Redact(@DefaultValue("true") boolean secrets,
            @NotNull @JsonPointers @DefaultValue List<String> erase,
            @NotNull @JsonPointers @DefaultValue List<String> mask,
            @NotNull @DefaultValue("marker") MaskWith maskWith,
            @NotNull @DefaultValue("[REDACTED]") String marker,
            @NotNull @DefaultValue("") String salt) {

        /** How a masked value is replaced. */
        public enum MaskWith { MARKER, HASH }

        @AssertTrue(message = "exporter.redact.salt must be set when exporter.redact.mask-with is hash")
        public boolean isSaltSetForHashing() {
            return maskWith != MaskWith.HASH || !salt.isEmpty();
        }
    }

    /**
     * Which records are kept; a record that is not kept is counted and dropped before the journal.
     *
     * @param eventTypes keep only records with one of these {@code eventType}s; empty: keep all
     * @param enforcementActions keep only records with one of these {@code enforcementAction}s; empty: keep all
     */
    public record Filter(@NotNull @DefaultValue List<String> eventTypes,
            @NotNull @DefaultValue List<String> enforcementActions) {
    }

    /**
     * What the health endpoint reports.
     *
     * @param stuckAfter liveness fails when records wait, Kafka is reachable, and nothing was acknowledged for this long
     * @param kafkaCheckInterval how often Kafka's reachability is checked, off the probes' path
     */
    public record Health(@NotNull @DefaultValue("10m") Duration stuckAfter,
            @NotNull @DefaultValue("15s") Duration kafkaCheckInterval) {
    }

    /**
     * Gatekeeper's disk export driver: finished {@code .log} files under {@code <export-path>/<channel>/} are read into
     * the journal and then deleted.
     *
     * @param enabled whether to read Gatekeeper's export directory at all
     * @param exportPath Gatekeeper's {@code Connection} {@code spec.config.path}; the journal must not be under it
     * @param channels the channel directories under the export path ({@code --audit-channel}, admission channels)
     * @param pollInterval how often the directories are listed; a file system notification may wake the reader sooner
     * @param forwardControlLines whether the "audit is started" and "audit is completed" lines go to Kafka too
     * @param maxRecordSize a longer line is rejected as {@code too_large}; the rest of the file is still read
     * @param orphanAfter an audit run's {@code .txt} that nobody holds a lock on and that has not changed for this long
     *        (or sooner, once a newer run exists) is taken for one its writer left unfinished: it is forwarded as an
     *        incomplete run and deleted
     */
    public record Gatekeeper(@DefaultValue("false") boolean enabled,
            @NotNull @DefaultValue("/tmp/violations/topics") Path exportPath,
            @NotEmpty @DefaultValue("audit-channel")
            List<@Pattern(regexp = "(?!\\.{1,2}$)[^/]+", message = "must be a directory name") String> channels,
            @NotNull @DefaultValue("1s") Duration pollInterval,
            @DefaultValue("true") boolean forwardControlLines,
            @NotNull @DefaultValue("1MB") DataSize maxRecordSize,
            @NotNull @DefaultValue("5m") Duration orphanAfter) {

        @AssertTrue(message = "exporter.gatekeeper.orphan-after must be positive")
        public boolean isOrphanAfterPositive() {
            return orphanAfter == null || !(orphanAfter.isNegative() || orphanAfter.isZero());
        }

        @AssertTrue(message = "exporter.gatekeeper.max-record-size must be at most " + LARGEST_RECORD + " (what a "
                + "journal entry can hold)")
        public boolean isMaxRecordSizeJournalable() {
            return fitsAJournalEntry(maxRecordSize);
        }
    }
}
