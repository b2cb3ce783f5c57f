package io.github.decisionlog.exporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packages of src/main depend on each other without cycles, so that each can be read, tested and changed from the
 * bottom up: the root (settings, entry point) depends on none of the others. Dependencies are read from the sources:
 * every name of a class of this project in another package, imported or written out.
 */
class PackageCyclesTest {

    private static final String BASE = "io.github.decisionlog.exporter";
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    private static final Pattern REFERENCE = Pattern.compile(Pattern.quote(BASE) + "((?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void noPackageDependsOnItselfThroughOthers() throws IOException {
        Map<String, Set<String>> uses = dependencies(Path.of("src/main/java"));
        assertThat(uses).containsKey(BASE + ".ingest");
        List<String> cycles = new ArrayList<>();
        for (String from : uses.keySet()) {
            List<String> path = pathBack(uses, from);
            if (path != null) {
                cycles.add(String.join(" -> ", path));
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }

    /** Package to the other packages of the project its sources name. */
    static Map<String, Set<String>> dependencies(Path root) throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path file : files) {
            String source = Files.readString(file);
            Matcher pkg = PACKAGE.matcher(source);
            if (!pkg.find()) {
                continue;
            }
            String from = pkg.group(1);
            Set<String> to = uses.computeIfAbsent(from, k -> new TreeSet<>());
            Matcher ref = REFERENCE.matcher(source);
            while (ref.find()) {
                String target = BASE + ref.group(1);
                if (!target.equals(from)) {
                    to.add(target);
                }
            }
        }
        return uses;
    }

    /** A path from {@code start} through its dependencies back to it, or null. */
    private static List<String> pathBack(Map<String, Set<String>> uses, String start) {
        return search(uses, start, start, new ArrayList<>(List.of(start)), new TreeSet<>());
    }

    private static List<String> search(Map<String, Set<String>> uses, String start, String at, List<String> path,
            Set<String> seen) {
        for (String next : uses.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                return cycle;
            }
            if (seen.add(next)) {
                path.add(next);
                List<String> found = search(uses, start, next, path, seen);
                if (found != null) {
                    return found;
                }
                path.remove(path.size() - 1);
            }
        }
        return null;
    }
}
