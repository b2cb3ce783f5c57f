package io.github.decisionlog.exporter;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every setting of the exporter, under {@code exporter.*}. The documented defaults are in the top-level
 * {@code application.yaml}; the values here are the same, so the exporter also starts without that file.
 */
@ConfigurationProperties("exporter")
@Validated
public record ExporterProperties(@Valid @DefaultValue Socket socket, @Valid @DefaultValue Journal journal,
        @Valid @DefaultValue Publish publish, @Valid @DefaultValue Gatekeeper gatekeeper) {

    /**
     * The unix stream socket that takes NDJSON.
     *
     * @param enabled whether to listen on the socket at all
     * @param path where the socket file is created; a stale file left by a crash is replaced
     * @param fileMode octal permissions of the socket file; producers need write permission to connect
     * @param maxRecordSize a longer line is rejected as {@code too_large} and skipped up to its newline
     * @param maxConnections connections beyond this many are closed at once, with a log line
     */
    public record Socket(@DefaultValue("true") boolean enabled,
            @NotNull @DefaultValue("/tmp/decision-log-exporter/decisions.sock") Path path,
            @Pattern(regexp = "[0-7]{3}", message = "must be three octal digits, for example 660")
            @DefaultValue("660") String fileMode,
            @NotNull @DefaultValue("1MB") DataSize maxRecordSize,
            @Min(1) @DefaultValue("64") int maxConnections) {
    }

    /**
     * The Chronicle Queue journal that holds every accepted record until Kafka acknowledges it.
     *
     * @param dir the journal directory; keep it on a volume of its own, never under Gatekeeper's export path
     * @param rollCycle how often a new journal file starts; acknowledged files are deleted whole
     */
    public record Journal(@NotNull @DefaultValue("/tmp/decision-log-exporter/journal") Path dir,
            @NotNull @DefaultValue("FAST_HOURLY") String rollCycle) {
    }

    /**
     * The Kafka side. Producer settings (bootstrap servers, TLS, SASL, compression) are {@code spring.kafka.*}.
     *
     * @param topic the topic every decision goes to
     * @param maxInFlight records sent and not yet acknowledged, at most
     * @param retryInitialBackoff wait after the first failed send before the records are sent again
     * @param retryMaxBackoff the cap of the doubling wait between retries
     * @param closeTimeout how long a stop waits for sends already in flight
     */
    public record Publish(@NotBlank @DefaultValue("gatekeeper-decisions") String topic,
            @Min(1) @DefaultValue("8192") int maxInFlight,
            @NotNull @DefaultValue("200ms") Duration retryInitialBackoff,
            @NotNull @DefaultValue("30s") Duration retryMaxBackoff,
            @NotNull @DefaultValue("10s") Duration closeTimeout) {
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
     */
    public record Gatekeeper(@DefaultValue("false") boolean enabled,
            @NotNull @DefaultValue("/tmp/violations/topics") Path exportPath,
            @NotEmpty @DefaultValue("audit-channel")
            List<@Pattern(regexp = "(?!\\.{1,2}$)[^/]+", message = "must be a directory name") String> channels,
            @NotNull @DefaultValue("1s") Duration pollInterval,
            @DefaultValue("true") boolean forwardControlLines,
            @NotNull @DefaultValue("1MB") DataSize maxRecordSize) {
    }
}
