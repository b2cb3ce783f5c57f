package io.github.decisionlog.exporter.faults;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/** What the child JVMs of the fault tests share: the java executable, the class path, flags for newer JDKs. */
final class JavaProcesses {

    private JavaProcesses() {
    }

    /** The java executable of the JVM running the tests, so children run on the same JDK. */
    static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Flags that JDK 24+ wants for native access and sun.misc.Unsafe, and that make a JDK 17 JVM refuse to start. */
    static List<String> newerJdkFlags() {
        return Runtime.version().feature() >= 24
                ? List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow")
                : List.of();
    }

    /**
     * The test class path. Surefire and failsafe may start the test JVM from a jar whose manifest holds the class
     * path; then the manifest's entries are the real class path.
     */
    static String testClassPath() {
        String cp = System.getProperty("java.class.path");
        String[] entries = cp.split(File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar") && entries[0].contains("surefire")) {
            try (JarFile jar = new JarFile(entries[0])) {
                String manifestPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
                List<String> files = new ArrayList<>();
                for (String url : manifestPath.trim().split("\\s+")) {
                    files.add(Path.of(java.net.URI.create(url.startsWith("file:") ? url : "file:" + url)).toString());
                }
                return String.join(File.pathSeparator, files);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cp;
    }
}
