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

    @TempDir
    Path dir;

    @AfterEach
    void keepLogs(TestInfo test) throws IOException {
        Path target = Path.of(System.getProperty("basedir", "."), "target", "fault-logs",
                getClass().getSimpleName(), test.getTestMethod().map(m -> m.getName()).orElse("test"));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path log : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".log"))::iterator) {
                Path copy = target.resolve(dir.relativize(log));
                Files.createDirectories(copy.getParent());
                Files.copy(log, copy, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
