package io.github.decisionlog.exporter.support;

import java.util.Map;

import io.github.decisionlog.exporter.ExporterProperties;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** Settings for a unit under test, bound the way Spring binds them, so every unset value takes its default. */
public final class TestSettings {

    private TestSettings() {
    }

    /** {@code exporter.*} settings from {@code name=value} pairs relative to {@code exporter.}. */
    public static ExporterProperties exporter(Map<String, String> values) {
        MapConfigurationPropertySource source = new MapConfigurationPropertySource();
        values.forEach((k, v) -> source.put("exporter." + k, v));
        return new Binder(source).bindOrCreate("exporter", ExporterProperties.class);
    }
}
