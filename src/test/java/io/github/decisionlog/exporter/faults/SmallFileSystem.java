package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A small tmpfs mounted by a test, to fill a real file system. Needs root (or CAP_SYS_ADMIN). */
final class SmallFileSystem {

    private SmallFileSystem() {
    }

    /** Mounts a tmpfs of {@code size} (for example {@code 64m}) at {@code dir}; false if that is not allowed here. */
    static boolean mount(Path dir, String size) {
        return run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString());
    }

    /** Unmounts it again; lazily if something still holds a file open. */
    static void unmount(Path dir) {
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
