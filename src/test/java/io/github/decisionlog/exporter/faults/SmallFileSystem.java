package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A small tmpfs mounted by a test, to fill a real file system. Needs root (or CAP_SYS_ADMIN). */
final class SmallFileSystem {

    private static final Set<Path> MOUNTED = ConcurrentHashMap.newKeySet();

    static {
        // the backstop for a test JVM that ends before the test could unmount
        Runtime.getRuntime().addShutdownHook(new Thread(() -> MOUNTED.forEach(SmallFileSystem::unmount),
                "unmount-test-file-systems"));
    }

    private SmallFileSystem() {
    }

    /** Mounts a tmpfs of {@code size} (for example {@code 64m}) at {@code dir}; false if that is not allowed here. */
    static boolean mount(Path dir, String size) {
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString());
        if (mounted) {
            MOUNTED.add(dir);
        }
        return mounted;
    }

    /** Unmounts it again; lazily if something still holds a file open. */
    static void unmount(Path dir) {
        if (!MOUNTED.remove(dir)) {
            return;
        }
        if (!run("umount", dir.toString())) {
            run("umount", "-l", dir.toString());
        }
    }

    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
