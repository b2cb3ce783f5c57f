package io.github.decisionlog.exporter.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/** What the benchmark's steps share: the JDK, free ports, the child processes to stop at the end. */
final class Benchmarks {

    private static final Set<Process> CHILDREN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CHILDREN.forEach(Process::destroyForcibly),
                "stop-benchmark-processes"));
    }

    private Benchmarks() {
    }

    /** Kills the process when the benchmark's JVM exits, however it exits. */
    static Process track(Process process) {
        CHILDREN.add(process);
        process.onExit().thenRun(() -> CHILDREN.remove(process));
        return process;
    }

    /** The java executable of this JVM, so that every child runs on the same JDK. */
    static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    static Path basedir() {
        return Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 1, 5 and 15 minute load averages, as {@code /proc/loadavg} has them. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The CPU time a process uses from now on (user and system, from {@code /proc/<pid>/stat}), in seconds. */
    static DoubleSupplier cpuFromNow(long pid) {
        return fromNow(() -> stat(pid, 11) + stat(pid, 12));
    }

    /** The CPU time of this process's children that end (and are waited for) from now on, in seconds. */
    static DoubleSupplier endedChildrenCpuFromNow() {
        long self = ProcessHandle.current().pid();
        return fromNow(() -> stat(self, 13) + stat(self, 14));
    }

    /** The time the JIT compilers of a running JVM spend from now on, in seconds. */
    static DoubleSupplier compilingFromNow(long pid) {
        return fromNow(() -> compileSeconds(pid));
    }

    /** How much a growing total has grown since this call, each time it is asked. */
    private static DoubleSupplier fromNow(DoubleSupplier total) {
        double start = total.getAsDouble();
        return () -> total.getAsDouble() - start;
    }

    /**
     * Time the JIT compilers of a running JVM have spent so far, in seconds: its {@code java.ci.totalTime} performance
     * counter, read with {@code jcmd}.
     */
    private static double compileSeconds(long pid) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(pid), "PerfCounter.print").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return (double) counter(out, "java.ci.totalTime") / counter(out, "sun.os.hrt.frequency");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long counter(String perfCounters, String name) {
        for (String line : perfCounters.split("\n")) {
            if (line.startsWith(name + "=")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new IllegalStateException("no performance counter " + name + " in: " + perfCounters);
    }

    /** A field of {@code /proc/<pid>/stat} counted from the one after the command name, in USER_HZ ticks as seconds. */
    private static double stat(long pid, int field) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[field]) / 100.0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A logback configuration that keeps Kafka's clients and tools at WARN, for this JVM and the children. */
    static Path quietLogging(Path dir) {
        try {
            Path file = dir.resolve("logback-bench.xml");
            Files.writeString(file, """
                    <configuration>
                      <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n</pattern></encoder>
                      </appender>
                      <root level="WARN"><appender-ref ref="out"/></root>
                    </configuration>
                    """);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
