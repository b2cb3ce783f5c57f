package io.github.decisionlog.exporter;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Takes policy decision logs from the pod it runs in and forwards every one of them to Kafka. With {@code inspect} as
 * first argument it only prints what a journal holds (an {@link ExporterCommand}, {@code observe.InspectCommand}).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ExporterApplication {

    public static void main(String[] args) throws java.io.IOException {
        if (args.length > 0) {
            for (ExporterCommand command : java.util.ServiceLoader.load(ExporterCommand.class)) {
                if (command.name().equals(args[0])) {
                    System.exit(command.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out,
                            System.err));
                }
            }
        }
        // in Gatekeeper's controller-manager pods the only writable volume is Gatekeeper's export volume, where
        // java.io.tmpdir (junixsocket's native library, Tomcat's work files) is a directory of the exporter's own
        java.nio.file.Files.createDirectories(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
        ConfigurableApplicationContext context = SpringApplication.run(ExporterApplication.class, args);
        exitCleanlyOnSignal(context, "TERM");
        exitCleanlyOnSignal(context, "INT");
    }

    /**
     * A stop asked for by the platform is a normal end: stop gracefully (sources, then publisher, then journal) and
     * exit 0, where the JVM's own handler would exit 143 after the same shutdown.
     */
    @SuppressWarnings("restriction")
    private static void exitCleanlyOnSignal(ConfigurableApplicationContext context, String signal) {
        sun.misc.Signal.handle(new sun.misc.Signal(signal),
                s -> new Thread(() -> System.exit(SpringApplication.exit(context)), "graceful-stop").start());
    }
}
