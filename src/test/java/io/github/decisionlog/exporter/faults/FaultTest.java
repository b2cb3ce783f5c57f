package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fault test works in a temporary directory (sockets, journals, broker data); the logs of the processes it
 * started are kept in {@code target/fault-logs/<class>/<test>/} for reading after a failure.
 */
abstract class FaultTest {

    /** The logs of the processes; not the broker's data, whose segment files end in .log too. */
    private static final java.util.Set<String> LOGS = java.util.Set.of("exporter.log", "broker.log", "format.log");

    @TempDir
    Path dir;

    @AfterEach
    void keepLogs(TestInfo test) throws IOException {
        Path target = Path.of(System.getProperty("basedir", "."), "target", "fault-logs",
                getClass().getSimpleName(), test.getTestMethod().map(m -> m.getName()).orElse("test"));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path log : (Iterable<Path>) files.filter(f -> LOGS.contains(f.getFileName().toString()))::iterator) {
                Path copy = target.resolve(dir.relativize(log));
                Files.createDirectories(copy.getParent());
                Files.copy(log, copy, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
