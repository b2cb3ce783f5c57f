package io.github.decisionlog.exporter.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;

import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Steps the fault tests share. */
final class Faults {

    private static final AtomicInteger TOPICS = new AtomicInteger();

    private Faults() {
    }

    static String newTopic(KafkaBrokerProcess broker, String name) {
        String topic = name + "-" + TOPICS.incrementAndGet();
        TopicReader.createTopic(broker.bootstrapServers(), topic, 3);
        return topic;
    }

    /** {@code count} producers, numbered from 0, started at once. */
    static List<StreamingProducer> startProducers(int count, Path socket, boolean acknowledged, long limitEach,
            int ratePerSecondEach) {
        List<StreamingProducer> producers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            producers.add(new StreamingProducer(i, socket, acknowledged, limitEach, 20_000)
                    .rate(ratePerSecondEach).start());
        }
        return producers;
    }

    /** Stops new records and waits until every producer has had everything it sent acknowledged. */
    static void finish(List<StreamingProducer> producers, Duration timeout) throws InterruptedException {
        producers.forEach(StreamingProducer::stopSending);
        awaitDone(producers, timeout);
    }

    /** Waits until every producer has sent all its records and, if it asks for them, had them acknowledged. */
    static void awaitDone(List<StreamingProducer> producers, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (StreamingProducer p : producers) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            if (!p.await(Duration.ofMillis(left))) {
                throw new AssertionError("producer " + p.id() + " still waits for acknowledgements after " + timeout);
            }
        }
    }

    static void closeAll(List<StreamingProducer> producers) {
        for (StreamingProducer p : producers) {
            try {
                p.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads the whole topic (at least every accepted record, then until it is quiet) and counts. */
    static Tally readAndCount(KafkaBrokerProcess broker, String topic, List<StreamingProducer> producers,
            Duration timeout) {
        long accepted = producers.stream().mapToLong(p -> p.accepted().cardinality()).sum();
        List<ConsumerRecord<byte[], byte[]>> records =
                TopicReader.readAll(broker.bootstrapServers(), topic, (int) accepted, timeout);
        return Tally.of(records, producers);
    }

    /** Polls {@code value} until {@code done} holds; fails with {@code what} after the timeout. */
    static double await(String what, Duration timeout, DoubleSupplier value, Predicate<Double> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        double v = Double.NaN;
        while (System.nanoTime() < deadline) {
            try {
                v = value.getAsDouble();
                if (done.test(v)) {
                    return v;
                }
            } catch (RuntimeException e) {
                // not answering yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + ": still " + v + " after " + timeout);
    }
}
