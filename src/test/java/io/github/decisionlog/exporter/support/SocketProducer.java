package io.github.decisionlog.exporter.support;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A producer that writes lines into the exporter's unix stream socket, as any client would. */
public final class SocketProducer implements AutoCloseable {

    private final AFUNIXSocket socket;
    private final OutputStream out;

    public SocketProducer(Path path) throws IOException {
        this.socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path));
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    public void sendLine(String line) throws IOException {
        send(line.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    /** Writes raw bytes; the caller adds the newline. */
    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    @Override
    public void close() throws IOException {
        out.flush();
        socket.close();
    }
}
