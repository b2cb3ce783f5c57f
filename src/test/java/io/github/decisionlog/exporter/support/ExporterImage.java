package io.github.decisionlog.exporter.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The image's {@code /app/exporter} made on this machine the way the Dockerfile makes it, for tests and the benchmark
 * that start the exporter as the image does: the built jar extracted, and the class data sharing archive written by
 * {@code src/main/docker/cds-training.sh} with the given JVM options.
 */
public final class ExporterImage {

    /** Where the Dockerfile puts the extracted exporter; the entrypoint's paths start with it. */
    public static final String IMAGE_DIR = "/app/exporter";

    private ExporterImage() {
    }

    /**
     * Extracts {@code jar} into {@code dir} and trains the archive there; returns the entrypoint's words with
     * {@link #IMAGE_DIR} replaced by {@code dir}.
     */
    public static List<String> prepare(Path jar, Path dir, String java, String jvmOptions, List<String> entrypoint) {
        try {
            Files.createDirectories(dir.getParent());
            Path bin = Path.of(java).getParent();
            run(dir.resolveSibling(dir.getFileName() + "-extract.log"), jvmOptions, bin, java, "-Djarmode=tools", "-jar",
                    jar.toString(), "extract", "--force", "--destination", dir.toString(),
                    "--application-filename", "decision-log-exporter.jar");
            Files.deleteIfExists(dir.resolve("exporter.jsa"));
            Path script = Path.of("src/main/docker/cds-training.sh").toAbsolutePath();
            run(dir.resolveSibling(dir.getFileName() + "-training.log"), jvmOptions, bin, "sh", script.toString(),
                    dir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String word : entrypoint.subList(1, entrypoint.size())) {
            command.add(word.replace(IMAGE_DIR, dir.toString()));
        }
        return command;
    }

    private static void run(Path log, String jvmOptions, Path javaBin, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("JDK_JAVA_OPTIONS", jvmOptions);
        pb.environment().put("PATH", javaBin + ":" + System.getenv("PATH")); // the script runs `java`
        Process p = pb.start();
        try {
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish; see " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log));
        }
    }
}
