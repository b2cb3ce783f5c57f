package io.github.decisionlog.exporter.ingest.socket;

import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket files of the sources: their directory is checked before binding, a stale file left by a crash is
 * removed, and a bound file gets its mode and group, which decide who may write to it. Every failure names the
 * setting it comes from.
 */
final class SocketFiles {

    private static final Logger log = LoggerFactory.getLogger(SocketFiles.class);

    private SocketFiles() {
    }

    /** Makes the directory, checks that the exporter can use it, and removes a stale socket file. */
    static void prepare(Path path, String setting, boolean datagram) {
        Path dir = path.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(setting + ": cannot create the directory " + dir + " (" + e + ")", e);
        }
        if (!Files.isReadable(dir) || !Files.isWritable(dir) || !Files.isExecutable(dir)) {
            throw new IllegalStateException(setting + ": the directory " + dir
                    + " is not readable and writable by the exporter, which must create the socket file in it");
        }
        try {
            removeStale(path, datagram);
        } catch (IOException e) {
            throw new IllegalStateException(setting + ": cannot listen on " + path + ": " + e.getMessage(), e);
        }
    }

    /** Gives a bound socket file its mode and, if one is set, its group. */
    static void protect(Path path, String mode, String group, String settings) {
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            if (!group.isEmpty()) {
                GroupPrincipal principal;
                try {
                    principal = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                } catch (IOException e) {
                    throw new IllegalStateException(settings + ".file-group: there is no group '" + group + "'", e);
                }
                view.setGroup(principal);
            }
            view.setPermissions(PosixFilePermissions.fromString(symbolic(mode)));
        } catch (IOException e) {
            throw new IllegalStateException(settings + ".file-mode/file-group: cannot set them on " + path + ": " + e,
                    e);
        }
    }

    /**
     * A socket file left by a crash blocks the bind. It is removed unless something still listens on it, in which
     * case another exporter owns the path and this one refuses to start.
     */
    private static void removeStale(Path path, boolean datagram) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        var attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isOther()) {
            throw new IOException("the path exists and is not a socket");
        }
        try {
            if (datagram) {
                try (AFUNIXDatagramSocket probe = AFUNIXDatagramSocket.newInstance()) {
                    probe.connect(AFUNIXSocketAddress.of(path));
                }
            } else {
                AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path)).close();
            }
            throw new IOException("another process is listening on it");
        } catch (SocketException refused) {
            log.info("Removing stale socket file {}", path);
            Files.delete(path);
        }
    }

    /** "660" to "rw-rw----". */
    static String symbolic(String octal) {
        StringBuilder sb = new StringBuilder(9);
        for (char c : octal.toCharArray()) {
            int d = c - '0';
            sb.append((d & 4) != 0 ? 'r' : '-').append((d & 2) != 0 ? 'w' : '-').append((d & 1) != 0 ? 'x' : '-');
        }
        return sb.toString();
    }
}
