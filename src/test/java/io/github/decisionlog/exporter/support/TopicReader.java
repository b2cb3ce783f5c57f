package io.github.decisionlog.exporter.support;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic from the beginning, the way a consumer team would check what arrived. */
public final class TopicReader {

    private TopicReader() {
    }

    public static void createTopic(String bootstrap, String topic, int partitions) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + topic, e);
        }
    }

    /**
     * Reads until at least {@code expected} records are there and then {@code settle} more passes with nothing new,
     * so that duplicates beyond the expected count are seen too; gives up after {@code timeout}.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int expected,
            Duration timeout) {
        return readAll(bootstrap, topic, expected, timeout, "read_uncommitted");
    }

    /** As {@link #readAll(String, String, int, Duration)}, with {@code isolation.level} read_committed or not. */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int expected,
            Duration timeout, String isolationLevel) {
        Properties props = new Properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            int quietPolls = 0;
            while (System.nanoTime() < deadline && (all.size() < expected || quietPolls < 3)) {
                var batch = consumer.poll(Duration.ofMillis(300));
                batch.forEach(all::add);
                quietPolls = batch.isEmpty() ? quietPolls + 1 : 0;
            }
        }
        return all;
    }

    public static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
