package io.github.decisionlog.exporter.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.xml.parsers.DocumentBuilderFactory;

import io.github.decisionlog.exporter.support.Dockerfile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The Dockerfile cannot be built here (no Docker engine), so its parts are checked one by one: it copies the jar the
 * build makes, and its entrypoint and JVM options start the exporter.
 */
class DockerfileTest {

    static final Path DOCKERFILE = Path.of("Dockerfile");

    static Dockerfile dockerfile;
    static String artifactId;
    static String version;
    static String javaVersion;

    @TempDir
    Path work;

    @BeforeAll
    static void read() throws Exception {
        dockerfile = Dockerfile.read(DOCKERFILE);
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        Element project = pom.getDocumentElement();
        artifactId = child(project, "artifactId");
        version = child(project, "version");
        javaVersion = child((Element) project.getElementsByTagName("properties").item(0), "java.version");
    }

    @Test
    void copiesTheJarTheMavenBuildMakes() {
        String built = "target/" + artifactId + "-" + version + ".jar";
        List<String[]> copies = dockerfile.all("COPY").stream().filter(c -> c[1].contains("--from=build"))
                .toList();

        assertThat(copies).singleElement().satisfies(copy -> {
            String[] words = copy[1].trim().split("\\s+");
            assertThat(words[words.length - 2]).as("source of the COPY from the build stage").endsWith("/" + built);
            // extracted where the entrypoint runs it, with the class data sharing archive the entrypoint names
            Path copied = Path.of(words[words.length - 1]);
            Path started = Path.of(dockerfile.entrypointJar());
            assertThat(dockerfile.all("RUN")).anySatisfy(run -> assertThat(run[1])
                    .contains("-Djarmode=tools -jar " + copied + " extract --destination " + started.getParent())
                    .contains("--application-filename " + started.getFileName())
                    .contains("cds-training.sh " + started.getParent()));
            assertThat(dockerfile.entrypoint())
                    .contains("-XX:SharedArchiveFile=" + started.resolveSibling("exporter.jsa"));
        });
        assertThat(dockerfile.all("RUN")).anySatisfy(run -> assertThat(run[1]).contains("./mvnw").contains("package"));
        assertThat(dockerfile.arg("VERSION")).isEqualTo(version);
    }

    @Test
    void runsOnTheJavaVersionThePomBuildsFor() {
        assertThat(dockerfile.arg("JRE_IMAGE")).contains(":" + javaVersion + "-jre");
        assertThat(dockerfile.arg("JDK_IMAGE")).contains(":" + javaVersion + "-jdk");
    }

    @Test
    void imageIsNonRootWithoutHealthcheckAndLabelled() {
        assertThat(dockerfile.last("USER")).isEqualTo("1000:999");
        assertThat(dockerfile.all("HEALTHCHECK")).isEmpty();
        assertThat(dockerfile.last("EXPOSE")).isEqualTo("9090");
        assertThat(dockerfile.last("LABEL")).contains("org.opencontainers.image.title=",
                "org.opencontainers.image.version=",
                "org.opencontainers.image.description=");
        assertThat(dockerfile.jvmOptions())
                .contains("-XX:MaxRAMPercentage=", "-Djava.io.tmpdir=/tmp", "-XX:+ExitOnOutOfMemoryError");
        // the journal directory exists in the image and belongs to the user the image runs as
        assertThat(dockerfile.env("EXPORTER_JOURNAL_DIR")).startsWith("/var/lib/decision-log-exporter/");
        assertThat(dockerfile.all("RUN")).anySatisfy(run -> assertThat(run[1])
                .contains("install -d -o 1000 -g 999", "/var/lib/decision-log-exporter"));
    }

    @Test
    void chartGivesTheSidecarTheImagesJvmOptionsWithItsOwnTemporaryDirectory() throws Exception {
        Map<String, Object> sidecar = Chart.at(Chart.exporter().render(Chart.values("output", "gatekeeperValues",
                "kafka.bootstrapServers", "kafka:9092"), work).get(0), "audit.exportSidecar");
        Object chartOptions = GatekeeperValuesTest.env(sidecar).get("JDK_JAVA_OPTIONS");

        assertThat(chartOptions).isEqualTo(dockerfile.jvmOptions()
                .replace("-Djava.io.tmpdir=/tmp", "-Djava.io.tmpdir=/var/lib/decision-log-exporter"));
    }

    @Test
    void entrypointWithTheImagesJvmOptionsStartsTheExporter() throws Exception {
        List<String> entrypoint = dockerfile.entrypoint();
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint).contains("-Dchronicle.analytics.disable=true");

        // the built fat jar when `mvn package` ran before; otherwise (mvn test runs before package) the same main
        // class from the test class path, with the module options the jar's manifest carries
        Path jar = builtJar();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String word : entrypoint.subList(1, entrypoint.size())) {
            if (word.equals(dockerfile.entrypointJar())) {
                if (Files.isRegularFile(jar)) {
                    command.add(jar.toString());
                } else {
                    // what the jar's manifest (Add-Exports, Add-Opens from pom.xml) would give java -jar
                    command.remove(command.size() - 1); // -jar
                    command.addAll(manifestModuleFlags());
                    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                            "io.github.decisionlog.exporter.ExporterApplication"));
                }
            } else {
                command.add(word);
            }
        }
        assertStarts(command, work);
    }

    /**
     * Runs {@code command} with the image's JVM options and environment (paths under {@code work}) and asserts that
     * the exporter starts: its socket and journal are made.
     */
    static void assertStarts(List<String> command, Path work) throws Exception {
        command = new ArrayList<>(command);
        command.addAll(List.of("--spring.main.web-application-type=none", "--spring.main.banner-mode=off"));

        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("EXPORTER_") || k.startsWith("SPRING_") || k.equals("JAVA_TOOL_OPTIONS"));
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        env.put("JDK_JAVA_OPTIONS",
                dockerfile.jvmOptions().replace("-Djava.io.tmpdir=/tmp", "-Djava.io.tmpdir=" + tmp));
        env.put("EXPORTER_JOURNAL_DIR", work.resolve("journal").toString());
        env.put("EXPORTER_SOCKET_PATH", work.resolve("socket").resolve("decisions.sock").toString());
        env.put("SPRING_KAFKA_BOOTSTRAPSERVERS", "127.0.0.1:9");
        builder.directory(tmp.toFile());

        Process process = builder.start();
        StringBuilder output = new StringBuilder();
        CompletableFuture<Boolean> started = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.contains("Started ExporterApplication")) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        try {
            boolean ok = started.get(Duration.ofSeconds(90).toMillis(), TimeUnit.MILLISECONDS);
            synchronized (output) {
                assertThat(ok).as("started; output:\n%s", output).isTrue();
                assertThat(output).as("the JVM took JDK_JAVA_OPTIONS").contains("Picked up JDK_JAVA_OPTIONS");
            }
            assertThat(work.resolve("socket").resolve("decisions.sock")).exists();
            assertThat(work.resolve("journal")).isDirectory();
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Where {@code mvn package} puts the Spring Boot jar: target/<artifactId>-<version>.jar. */
    static Path builtJar() {
        return Path.of("target", artifactId + "-" + version + ".jar").toAbsolutePath();
    }

    /** The jar manifest's Add-Exports and Add-Opens entries (from pom.xml) as the equivalent java options. */
    static List<String> manifestModuleFlags() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        List<String> flags = new ArrayList<>();
        for (String entry : List.of("Add-Exports", "Add-Opens")) {
            String option = "--" + entry.toLowerCase() + "=";
            String packages = pom.getElementsByTagName(entry).item(0).getTextContent().trim();
            for (String modulePackage : packages.split("\\s+")) {
                flags.add(option + modulePackage + "=ALL-UNNAMED");
            }
        }
        return flags;
    }

    private static String child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().trim();
            }
        }
        throw new AssertionError("no <" + name + "> in <" + parent.getTagName() + ">");
    }
}
