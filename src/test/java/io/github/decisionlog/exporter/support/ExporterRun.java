package io.github.decisionlog.exporter.support;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.decisionlog.exporter.ExporterApplication;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** One exporter started in this JVM with its own socket and journal under a test directory. */
public final class ExporterRun implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final Path socket;

    private ExporterRun(ConfigurableApplicationContext context, Path socket) {
        this.context = context;
        this.socket = socket;
    }

    /** Starts an exporter; {@code extra} settings override the defaults chosen here. */
    public static ExporterRun start(Path dir, String bootstrapServers, String topic, Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("exporter.socket.path", dir.resolve("decisions.sock").toString());
        props.put("exporter.journal.dir", dir.resolve("journal").toString());
        props.put("exporter.publish.topic", topic);
        props.put("exporter.publish.retry-initial-backoff", "50ms");
        props.put("exporter.publish.retry-max-backoff", "1s");
        props.put("exporter.publish.drain-timeout", "2s"); // most tests close with Kafka away or records waiting
        props.put("spring.kafka.bootstrap-servers", bootstrapServers);
        props.put("management.server.port", "0");
        props.put("spring.main.banner-mode", "off");
        props.putAll(extra);
        // as command-line arguments, which win over application.yaml
        String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ExporterApplication.class).run(args);
        return new ExporterRun(context, Path.of(props.get("exporter.socket.path").toString()));
    }

    /**
     * Starts an exporter that must fail to start (no broker is needed to get that far) and returns every message of
     * the failure and its causes, the way the start-up failure report shows them.
     */
    public static String startupFailure(Path dir, Map<String, Object> settings) {
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(
                () -> start(dir, "localhost:1", "unused", settings).close());
        org.assertj.core.api.Assertions.assertThat(failure).as("start-up fails").isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    public static ExporterRun start(Path dir, String bootstrapServers, String topic) {
        return start(dir, bootstrapServers, topic, Map.of());
    }

    public Path socket() {
        return socket;
    }

    public String property(String name) {
        return context.getEnvironment().getProperty(name);
    }

    /** GETs a path of the management server, such as {@code /actuator/health/readiness}. */
    public java.net.http.HttpResponse<String> get(String path) throws java.io.IOException, InterruptedException {
        String port = context.getEnvironment().getProperty("local.management.port");
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /** Sum of every meter of that name matching the tags (name, value, name, value...). */
    public double metric(String name, String... tags) {
        Search search = context.getBean(MeterRegistry.class).find(name).tags(tags);
        return search.meters().stream()
                .flatMap(m -> java.util.stream.StreamSupport.stream(m.measure().spliterator(), false).limit(1))
                .mapToDouble(io.micrometer.core.instrument.Measurement::getValue)
                .sum();
    }

    @Override
    public void close() {
        context.close();
    }
}
