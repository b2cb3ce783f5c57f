package io.github.decisionlog.exporter.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.decisionlog.exporter.support.ExporterImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's start-up path, run on the built jar (so after {@code package}): the jar extracted and the class data
 * sharing archive trained as the Dockerfile does it, then the entrypoint with {@code -Xshare:on}, which refuses to
 * start if the archive does not fit the extracted jars and the JVM options.
 */
class ClassDataSharingIT {

    @TempDir
    Path work;

    @BeforeAll
    static void readDockerfile() throws Exception {
        DockerfileTest.read();
    }

    @Test
    void imageStartsWithTheArchiveItsTrainingRunWrote() throws Exception {
        Path jar = DockerfileTest.builtJar();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jvmOptions = DockerfileTest.dockerfile.jvmOptions()
                .replace("-Djava.io.tmpdir=/tmp", "-Djava.io.tmpdir=" + work);

        List<String> command = new ArrayList<>(ExporterImage.prepare(jar, work.resolve("image"), java, jvmOptions,
                DockerfileTest.dockerfile.entrypoint()));
        assertThat(work.resolve("image/exporter.jsa")).isNotEmptyFile();
        assertThat(Files.size(work.resolve("image/exporter.jsa"))).as("archive bytes").isGreaterThan(10L << 20);

        command.add(1, "-Xshare:on");
        Path run = Files.createDirectories(work.resolve("run"));
        DockerfileTest.assertStarts(command, run);
    }
}
