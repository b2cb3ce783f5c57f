package io.github.decisionlog.exporter.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.StreamSupport;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.yaml.snakeyaml.Yaml;

/** Renders a chart with helm-java (a native helm, no binary or cluster needed) and parses what comes out. */
final class Chart {

    static final Path EXPORTER = Path.of("helm", "decision-log-exporter");
    static final String NAMESPACE = "gatekeeper-system";

    private final Path dir;

    private Chart(Path dir) {
        this.dir = dir;
    }

    static Chart exporter() {
        return new Chart(EXPORTER);
    }

    static Chart at(Path dir) {
        return new Chart(dir);
    }

    LintResult lint(Map<String, Object> values, Path workDir) throws IOException {
        // helm lint takes no values file through helm-java: lint a copy whose values.yaml has the overrides merged
        Path copy = workDir.resolve(dir.getFileName());
        copyTree(dir, copy);
        if (!values.isEmpty()) {
            Map<String, Object> merged = new Yaml().load(Files.readString(copy.resolve("values.yaml")));
            deepMerge(merged, values);
            Files.writeString(copy.resolve("values.yaml"), new Yaml().dump(merged));
        }
        return new Helm(copy).lint().strict().call();
    }

    /** Runs helm template with the given values (a values file, so lists and commas need no escaping). */
    String template(Map<String, Object> values, Path workDir) throws IOException {
        TemplateCommand command = new Helm(dir).template().withName("dle").withNamespace(NAMESPACE);
        if (!values.isEmpty()) {
            Path file = Files.createTempFile(workDir, "values", ".yaml");
            Files.writeString(file, new Yaml().dump(values));
            command = command.withValuesFile(file);
        }
        return command.call();
    }

    /** The notes helm prints after an install (a client-only dry run), from the line after "NOTES:". */
    String notes(Map<String, Object> values, Path workDir) throws IOException {
        Path file = Files.createTempFile(workDir, "values", ".yaml");
        Files.writeString(file, new Yaml().dump(values));
        String output = new Helm(dir).install().clientOnly().dryRun().withName("dle").withNamespace(NAMESPACE)
                .withValuesFile(file).call().getOutput();
        int notes = output.indexOf("NOTES:");
        if (notes < 0) {
            throw new AssertionError("no NOTES in " + output);
        }
        return output.substring(notes + "NOTES:".length());
    }

    List<Map<String, Object>> render(Map<String, Object> values, Path workDir) throws IOException {
        return documents(template(values, workDir));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(String yaml) {
        return StreamSupport.stream(new Yaml().loadAll(yaml).spliterator(), false)
                .filter(Objects::nonNull)
                .map(d -> (Map<String, Object>) d)
                .toList();
    }

    static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
        List<Map<String, Object>> found = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + " but found " + found.size() + " in " + docs);
        }
        return found.get(0);
    }

    /** Nested map from dotted keys: values("a.b", 1, "a.c", 2) is {a: {b: 1, c: 2}}. */
    static Map<String, Object> values(Object... keysAndValues) {
        Map<String, Object> root = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String[] path = ((String) keysAndValues[i]).split("\\.");
            Map<String, Object> node = root;
            for (int p = 0; p < path.length - 1; p++) {
                node = child(node, path[p]);
            }
            node.put(path[path.length - 1], keysAndValues[i + 1]);
        }
        return root;
    }

    /** The value at a dotted path; list elements by index ("spec.containers.0.name"). */
    @SuppressWarnings("unchecked")
    static <T> T at(Object root, String path) {
        Object node = root;
        for (String part : path.split("\\.")) {
            if (node instanceof Map<?, ?> map) {
                if (!map.containsKey(part)) {
                    throw new AssertionError("no " + part + " (of " + path + ") in " + map.keySet());
                }
                node = map.get(part);
            } else if (node instanceof List<?> list) {
                node = list.get(Integer.parseInt(part));
            } else {
                throw new AssertionError("cannot descend into " + node + " for " + part + " of " + path);
            }
        }
        return (T) node;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> node, String key) {
        return (Map<String, Object>) node.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> into, Map<String, Object> from) {
        from.forEach((key, value) -> {
            if (value instanceof Map<?, ?> m && into.get(key) instanceof Map<?, ?> existing) {
                deepMerge((Map<String, Object>) existing, (Map<String, Object>) m);
            } else {
                into.put(key, value);
            }
        });
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> paths;
        try (var walk = Files.walk(from)) {
            paths = new ArrayList<>(walk.toList());
        }
        for (Path source : paths) {
            Path target = to.resolve(from.relativize(source).toString());
            if (Files.isDirectory(source)) {
                Files.createDirectories(target);
            } else {
                Files.copy(source, target);
            }
        }
    }
}
