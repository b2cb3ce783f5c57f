package io.github.decisionlog.exporter.journal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The C library's calls the journal makes through JNA (which Chronicle already brings), bound once. Each caller has a
 * fallback for where a call cannot be made; JNA binds a function when it is first called, so a call missing from the
 * library fails there, not here.
 */
interface LibC extends Library {

    /** The C library, or {@code null} where JNA cannot load it. */
    LibC INSTANCE = Loader.load();

    int stat(String path, byte[] buf);

    int madvise(Pointer address, long length, int advice);

    /** Loads the library once, and says so in the log when it cannot. */
    final class Loader {
        private static final Logger log = LoggerFactory.getLogger(LibC.class);

        private Loader() {
        }

        private static LibC load() {
            try {
                return Native.load("c", LibC.class);
            } catch (RuntimeException | LinkageError e) {
                log.info("The C library cannot be loaded through JNA ({}); the journal estimates its size on disk from "
                        + "file lengths and touches its pages one by one", e.toString());
                return null;
            }
        }
    }
}
