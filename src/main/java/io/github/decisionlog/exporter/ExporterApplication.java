package io.github.decisionlog.exporter;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Takes policy decision logs from the pod it runs in and forwards every one of them to Kafka. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ExporterApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExporterApplication.class, args);
    }
}
