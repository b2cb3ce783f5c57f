package io.github.decisionlog.exporter.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.json.JsonMapper;

/**
 * The project's Dockerfile read as instructions, continuation lines joined and comments dropped: what the image
 * copies, sets and runs, for the tests and the benchmark that start the exporter as the image does.
 */
public final class Dockerfile {

    private final List<String[]> instructions;

    private Dockerfile(List<String[]> instructions) {
        this.instructions = instructions;
    }

    public static Dockerfile read(Path file) {
        try {
            return new Dockerfile(parse(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String[]> parse(String text) {
        List<String[]> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String instruction = current.toString().strip();
            if (!instruction.isEmpty()) {
                String[] parts = instruction.split("\\s+", 2);
                result.add(new String[] {parts[0].toUpperCase(), parts.length > 1 ? parts[1] : ""});
            }
            current.setLength(0);
        }
        return result;
    }

    /** Every instruction of this keyword ({@code RUN}, {@code COPY}, ...), each as {keyword, arguments}. */
    public List<String[]> all(String keyword) {
        return instructions.stream().filter(i -> i[0].equals(keyword)).toList();
    }

    /** The arguments of the last instruction of this keyword. */
    public String last(String keyword) {
        List<String[]> found = all(keyword);
        if (found.isEmpty()) {
            throw new IllegalStateException("no " + keyword + " in the Dockerfile");
        }
        return found.get(found.size() - 1)[1];
    }

    /** The default of an {@code ARG}. */
    public String arg(String name) {
        return all("ARG").stream().map(a -> a[1]).filter(a -> a.startsWith(name + "=")).findFirst()
                .map(a -> a.substring(name.length() + 1))
                .orElseThrow(() -> new IllegalStateException("no ARG " + name + " in the Dockerfile"));
    }

    /** The words of the {@code ENTRYPOINT} (exec form). */
    public List<String> entrypoint() {
        return Arrays.asList(JsonMapper.shared().readValue(last("ENTRYPOINT"), String[].class));
    }

    /** The jar the entrypoint runs. */
    public String entrypointJar() {
        List<String> entrypoint = entrypoint();
        return entrypoint.get(entrypoint.indexOf("-jar") + 1);
    }

    /** The JVM options the image sets. */
    public String jvmOptions() {
        return env("JDK_JAVA_OPTIONS");
    }

    /** An {@code ENV}, written {@code NAME="value"} or {@code NAME=value}. */
    public String env(String name) {
        Map<String, String> env = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(\\w+)=(?:\"([^\"]*)\"|(\\S+))")
                .matcher(String.join(" ", all("ENV").stream().map(e -> e[1]).toList()));
        while (m.find()) {
            env.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
        }
        if (!env.containsKey(name)) {
            throw new IllegalStateException("no ENV " + name + " in the Dockerfile");
        }
        return env.get(name);
    }
}
