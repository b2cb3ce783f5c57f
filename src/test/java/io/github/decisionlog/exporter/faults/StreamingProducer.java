package io.github.decisionlog.exporter.faults;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

import io.github.decisionlog.exporter.support.DecisionRecords;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A producer that streams numbered decision records into the exporter's socket as fast as it can, on a thread of its
 * own, the way a careful client would:
 * <ul>
 * <li>in <em>acknowledged</em> mode it reads {@code ack <n>} and {@code rejected <line> <reason>} lines back, keeps
 * every record not yet covered by an ack, and after a lost connection reconnects and sends those again first;</li>
 * <li>in plain mode it only writes, and a lost connection ends it.</li>
 * </ul>
 * Records are {@link DecisionRecords#violation} of this producer with {@code seq} 0, 1, 2, ...; every record is
 * identified by its seq, so the test can tell what was accepted, re-sent and found in Kafka.
 */
public final class StreamingProducer implements AutoCloseable {

    private final int id;
    private final Path socket;
    private final boolean acknowledged;
    private final long limit;
    private final int maxUnacknowledged;
    private final LongFunction<String> line;
    private final Object lock = new Object();

    // guarded by lock
    private final BitSet accepted = new BitSet();
    private final BitSet rejected = new BitSet();
    private final BitSet resent = new BitSet();
    private final ArrayDeque<Long> outstanding = new ArrayDeque<>(); // written on this connection, not yet acked
    private final ArrayDeque<Long> toResend = new ArrayDeque<>();
    private long ackedOnConnection;
    private boolean connectionLost;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final Map<String, Long> rejectReasons = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile int ratePerSecond;
    private long rateStartNanos;
    private long rateStartCount;
    private volatile boolean stopSending;
    private volatile boolean closed;
    private volatile AFUNIXSocket current;
    private volatile Throwable failure;

    /**
     * @param limit records to send in all; {@link Long#MAX_VALUE} streams until {@link #stopSending()}
     * @param maxUnacknowledged in acknowledged mode, how many records may wait for an ack before the producer waits
     */
    public StreamingProducer(int id, Path socket, boolean acknowledged, long limit, int maxUnacknowledged) {
        this(id, socket, acknowledged, limit, maxUnacknowledged,
                seq -> DecisionRecords.violation(id, (int) (seq % 50), seq));
    }

    public StreamingProducer(int id, Path socket, boolean acknowledged, long limit, int maxUnacknowledged,
            LongFunction<String> line) {
        this.id = id;
        this.socket = socket;
        this.acknowledged = acknowledged;
        this.limit = limit;
        this.maxUnacknowledged = maxUnacknowledged;
        this.line = line;
        this.thread = new Thread(this::run, "producer-" + id);
        thread.setDaemon(true);
    }

    /** Sends at most this many new records a second from now on; 0 (the default) means as fast as it can. */
    public StreamingProducer rate(int recordsPerSecond) {
        this.ratePerSecond = recordsPerSecond;
        return this;
    }

    public StreamingProducer start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (!closed && !finished()) {
                AFUNIXSocket s = connect();
                if (s == null) {
                    return;
                }
                current = s;
                try (s) {
                    stream(s);
                } catch (IOException e) {
                    writeErrors.incrementAndGet();
                    if (!acknowledged) {
                        return; // a plain producer cannot tell what was lost; it stops
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Done when no new record is to be sent and, in acknowledged mode, every record is acknowledged. */
    private boolean finished() {
        boolean nothingNew = stopSending || sent.get() >= limit;
        if (!acknowledged) {
            return nothingNew;
        }
        synchronized (lock) {
            return nothingNew && outstanding.isEmpty() && toResend.isEmpty();
        }
    }

    private AFUNIXSocket connect() throws InterruptedException {
        while (!closed) {
            try {
                AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket));
                connections.incrementAndGet();
                return s;
            } catch (IOException notListening) {
                Thread.sleep(20);
            }
        }
        return null;
    }

    private void stream(AFUNIXSocket s) throws IOException, InterruptedException {
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
        Thread reader = null;
        synchronized (lock) {
            // everything not acknowledged on the previous connection goes first, in the order it was sent
            while (!outstanding.isEmpty()) {
                toResend.addFirst(outstanding.pollLast());
            }
            ackedOnConnection = 0;
            connectionLost = false;
        }
        if (acknowledged) {
            reader = new Thread(() -> readAcks(s), "producer-" + id + "-acks");
            reader.setDaemon(true);
            reader.start();
        }
        try {
            while (!closed) {
                long seq;
                synchronized (lock) {
                    if (connectionLost) {
                        throw new IOException("connection closed by the exporter");
                    }
                    if (acknowledged && outstanding.size() >= maxUnacknowledged) {
                        seq = -1;
                    } else if (!toResend.isEmpty()) {
                        seq = toResend.pollFirst();
                        resent.set((int) seq);
                    } else if (!stopSending && sent.get() < limit) {
                        seq = sent.getAndIncrement();
                    } else {
                        seq = -2;
                    }
                    if (seq >= 0 && acknowledged) {
                        outstanding.addLast(seq);
                    }
                }
                if (seq >= 0) {
                    out.write(line.apply(seq).getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                    pace(out);
                    continue;
                }
                out.flush();
                if (seq == -2 && !acknowledged) {
                    s.shutdownOutput();
                    synchronized (lock) {
                        accepted.set(0, (int) sent.get()); // written and flushed; the test checks the exporter's count
                    }
                    return; // a plain producer is done once everything is written
                }
                if (seq == -2 && finished()) {
                    return;
                }
                synchronized (lock) {
                    lock.wait(5);
                }
            }
        } catch (IOException broken) {
            if (reader != null) {
                // the exporter closed the connection: acknowledgements it wrote before that may still wait in the
                // socket's buffer; read them before giving the lines up for re-sending, as a careful producer does
                reader.join(2000);
            }
            throw broken;
        } finally {
            if (reader != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                reader.join(2000);
            }
        }
    }

    /** Keeps to the rate, if one is set, checking every 50 records. */
    private void pace(OutputStream out) throws IOException, InterruptedException {
        int rate = ratePerSecond;
        long n = sent.get();
        if (rate <= 0 || n % 50 != 0) {
            return;
        }
        long now = System.nanoTime();
        if (rateStartNanos == 0 || n - rateStartCount > 10L * rate) {
            rateStartNanos = now;
            rateStartCount = n;
            return;
        }
        long due = rateStartNanos + (n - rateStartCount) * 1_000_000_000L / rate;
        if (due - now > 1_000_000) {
            out.flush();
            Thread.sleep((due - now) / 1_000_000);
        }
    }

    private void readAcks(AFUNIXSocket s) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.UTF_8))) {
            String reply;
            while ((reply = in.readLine()) != null) {
                String[] parts = reply.split(" ", 3);
                synchronized (lock) {
                    if (parts[0].equals("ack")) {
                        long n = Long.parseLong(parts[1]);
                        while (ackedOnConnection < n && !outstanding.isEmpty()) {
                            long seq = outstanding.pollFirst();
                            if (!rejected.get((int) seq)) {
                                accepted.set((int) seq);
                            }
                            ackedOnConnection++;
                        }
                        lock.notifyAll();
                    } else if (parts[0].equals("rejected")) {
                        long lineNumber = Long.parseLong(parts[1]);
                        long index = lineNumber - ackedOnConnection - 1;
                        if (index >= 0 && index < outstanding.size()) {
                            long seq = outstanding.stream().skip(index).findFirst().orElseThrow();
                            rejected.set((int) seq);
                        }
                        rejectReasons.merge(parts.length > 2 ? parts[2] : "", 1L, Long::sum);
                    } else {
                        throw new IllegalStateException("unexpected reply from the exporter: " + reply);
                    }
                }
            }
        } catch (IOException e) {
            // the connection is gone; the writer notices
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            synchronized (lock) {
                connectionLost = true;
                lock.notifyAll();
            }
        }
    }

    /** Sends nothing new from now on; in acknowledged mode it goes on until everything sent is acknowledged. */
    public void stopSending() {
        stopSending = true;
    }

    /** Waits until the producer is done (see {@link #stopSending()}); false if it is not done within the timeout. */
    public boolean await(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
        if (failure != null) {
            throw new IllegalStateException("producer " + id + " failed", failure);
        }
        return !thread.isAlive();
    }

    public int id() {
        return id;
    }

    /** Distinct records written at least once. */
    public long sent() {
        return sent.get();
    }

    /** Records the exporter acknowledged (and did not reject). */
    public BitSet accepted() {
        synchronized (lock) {
            return (BitSet) accepted.clone();
        }
    }

    /** Records sent more than once because a connection broke before they were acknowledged. */
    public BitSet resent() {
        synchronized (lock) {
            return (BitSet) resent.clone();
        }
    }

    public BitSet rejected() {
        synchronized (lock) {
            return (BitSet) rejected.clone();
        }
    }

    public Map<String, Long> rejectReasons() {
        return Map.copyOf(rejectReasons);
    }

    /** Connections that broke while writing. */
    public long writeErrors() {
        return writeErrors.get();
    }

    public long connections() {
        return connections.get();
    }

    @Override
    public void close() throws InterruptedException {
        stopSending = true;
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        thread.join(1000);
        AFUNIXSocket s = current;
        if (thread.isAlive() && s != null) {
            try {
                s.close(); // unblocks a write that waits for an exporter that reads nothing
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        thread.join(5000);
    }
}
