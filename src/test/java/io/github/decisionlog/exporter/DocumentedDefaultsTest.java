package io.github.decisionlog.exporter;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The defaults are written twice: documented in the top-level application.yaml, and in the settings' own
 * {@code @DefaultValue}s, so that the exporter also starts without that file. They must say the same.
 */
class DocumentedDefaultsTest {

    @Test
    void applicationYamlDocumentsTheDefaultsTheExporterHasWithoutIt() throws IOException {
        List<PropertySource<?>> yaml = new YamlPropertySourceLoader()
                .load("application.yaml", new FileSystemResource("application.yaml"));
        ExporterProperties documented = new Binder(ConfigurationPropertySources.from(yaml))
                .bindOrCreate("exporter", ExporterProperties.class);
        ExporterProperties builtIn = new Binder().bindOrCreate("exporter", ExporterProperties.class);

        assertThat(documented).usingRecursiveComparison().isEqualTo(builtIn);
    }
}
