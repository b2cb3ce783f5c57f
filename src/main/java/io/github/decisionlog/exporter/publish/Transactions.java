package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.decisionlog.exporter.journal.Journal;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Exactly-once delivery the way Kafka Connect does it for source connectors (KIP-618): a transactional producer whose
 * {@code transactional.id} comes from the journal's id, and the journal position of each transaction's last record
 * written to the exporter's own compacted offsets topic in that same transaction. Kafka's committed position is the
 * truth; the journal's acknowledged position follows it (it only decides which journal files may be deleted).
 * Used by the publisher's thread only.
 */
final class Transactions {

    /**
     * The ways the broker says this producer may no longer write with its transactional id: another producer with
     * the same id registered after it, or the id is not allowed. {@link InvalidProducerEpochException} is not here:
     * the coordinator also answers so when it aborted a transaction that ran past {@code transaction.timeout.ms}
     * (a long outage); {@link #confirmFenced} tells the two apart.
     */
    static boolean isFencing(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ProducerFencedException || c instanceof TransactionalIdAuthorizationException) {
                return true;
            }
        }
        return false;
    }

    static boolean isEpochError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /**
     * After an {@link InvalidProducerEpochException}: aborts with the same producer, as the client asks; a fenced
     * producer then gets {@link ProducerFencedException}. True if it did.
     */
    boolean confirmFenced() {
        if (producer == null) {
            return false;
        }
        try {
            producer.abortTransaction();
            return false;
        } catch (RuntimeException e) {
            return isFencing(e);
        } finally {
            open = false;
        }
    }

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

    /** The offsets topic cannot serve (not compacted, or missing and cannot be created): named, with the fix. */
    static final class OffsetsTopicException extends IllegalStateException {
        OffsetsTopicException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Map<String, Object> producerConfig;
    private final Map<String, Object> adminConfig;
    private final String offsetsTopic;
    private final String transactionalId;
    private final byte[] key;
    private Producer<byte[], byte[]> producer;
    private boolean open;
    private long beganAt;
    private boolean topicChecked;

    Transactions(Map<String, Object> producerConfig, Map<String, Object> adminConfig, String offsetsTopic,
            String transactionalIdPrefix, String journalId) {
        this.offsetsTopic = offsetsTopic;
        this.transactionalId = transactionalIdPrefix + journalId;
        this.key = journalId.getBytes(StandardCharsets.UTF_8);
        this.producerConfig = new HashMap<>(producerConfig);
        this.producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        this.producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.adminConfig = new HashMap<>(adminConfig);
        this.adminConfig.putIfAbsent(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                producerConfig.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    String transactionalId() {
        return transactionalId;
    }

    String offsetsTopic() {
        return offsetsTopic;
    }

    /**
     * A new transactional producer, registered with the broker: that fences any other producer with this
     * transactional id and aborts (or completes) the transaction it left open. Then reads the position Kafka
     * committed last.
     *
     * @return the journal index of the last record committed, or {@link Journal#NO_RECORD} when none was
     */
    long open() throws Exception {
        close();
        if (!topicChecked) {
            try (Admin admin = Admin.create(adminConfig)) {
                checkOffsetsTopic(admin, offsetsTopic, ADMIN_TIMEOUT);
            }
            topicChecked = true;
        }
        producer = new KafkaProducer<>(producerConfig);
        producer.initTransactions();
        return committedPosition();
    }

    void offsetsTopicChecked() {
        topicChecked = true;
    }

    Producer<byte[], byte[]> producer() {
        return producer;
    }

    /** Begins a transaction unless one is open. */
    void begin() {
        if (!open) {
            producer.beginTransaction();
            open = true;
            beganAt = System.nanoTime();
        }
    }

    boolean isOpen() {
        return open;
    }

    /** System.nanoTime() at which the open transaction began. */
    long beganAt() {
        return beganAt;
    }

    /**
     * Writes the journal position of the transaction's last record and commits; returns once Kafka has committed.
     * Every send of the transaction must have succeeded before: a failed one makes the commit fail.
     */
    void commit(long lastIndex) {
        producer.send(new ProducerRecord<>(offsetsTopic, key, position(lastIndex)));
        producer.commitTransaction();
        open = false;
    }

    /** Forgets the producer and whatever transaction it had open; the broker aborts that at the next open. */
    void close() {
        open = false;
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException e) {
                // closing a producer in error: nothing to keep
            }
            producer = null;
        }
    }

    /** Closes the producer, giving an open transaction up to {@code timeout} to be aborted. */
    void abortAndClose(Duration timeout) {
        if (producer != null && open) {
            try {
                producer.abortTransaction();
            } catch (RuntimeException e) {
                // the broker aborts it when the transaction times out or at the next open
            }
            open = false;
        }
        if (producer != null) {
            try {
                producer.close(timeout);
            } catch (RuntimeException e) {
                // nothing to keep
            }
            producer = null;
        }
    }

    static byte[] position(long index) {
        return ("{\"journalIndex\":" + index + "}").getBytes(StandardCharsets.UTF_8);
    }

    static long parsePosition(byte[] value) {
        String s = new String(value, StandardCharsets.UTF_8);
        int colon = s.indexOf(':');
        int end = s.indexOf('}', colon);
        return Long.parseLong(s.substring(colon + 1, end).trim());
    }

    /** The last position committed for this journal, read with read_committed to the end of the offsets topic. */
    long committedPosition() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, adminConfig.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
        for (Map.Entry<String, Object> e : producerConfig.entrySet()) { // TLS and SASL settings
            if (e.getKey().startsWith("ssl.") || e.getKey().startsWith("sasl.")
                    || e.getKey().equals("security.protocol")) {
                config.put(e.getKey(), e.getValue());
            }
        }
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, transactionalId + "-position");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(offsetsTopic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long position = Journal.NO_RECORD;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new org.apache.kafka.common.errors.TimeoutException(
                            "reading " + offsetsTopic + " took more than 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && java.util.Arrays.equals(r.key(), key) && r.value() != null) {
                        position = parsePosition(r.value());
                    }
                }
            }
            return position;
        }
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Creates the offsets topic (cleanup.policy=compact, one partition, the broker's replication factor) if it is
     * missing, and refuses one that exists with another cleanup policy: a position deleted by retention would make
     * the next start send the journal again.
     *
     * @throws IllegalStateException naming the topic and the setting, when the topic cannot serve
     */
    static void checkOffsetsTopic(Admin admin, String topic, Duration timeout) throws Exception {
        try {
            TopicDescription ignored = admin.describeTopics(Set.of(topic)).allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw e;
            }
            NewTopic create = new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(List.of(create)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException c) {
                if (c.getCause() instanceof org.apache.kafka.common.errors.RetriableException) {
                    throw c; // Kafka not reachable now: checked again later
                }
                if (!(c.getCause() instanceof TopicExistsException)) {
                    throw new OffsetsTopicException("exporter.publish.offsets-topic: topic " + topic + " does not "
                            + "exist and could not be created (" + c.getCause() + "); create it with "
                            + "cleanup.policy=compact", c.getCause());
                }
            }
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(Set.of(resource)).all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource);
        ConfigEntry policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
        String value = policy == null ? "" : policy.value();
        if (!TopicConfig.CLEANUP_POLICY_COMPACT.equals(value.trim())) {
            throw new OffsetsTopicException("exporter.publish.offsets-topic: topic " + topic + " has cleanup.policy="
                    + value + "; the exporter keeps its committed journal position there and needs "
                    + "cleanup.policy=compact (retention would delete the position, and the next start would send "
                    + "the journal again). Set cleanup.policy=compact on " + topic + " or name another topic", null);
        }
    }

    /** True for the failures that only say Kafka could not be reached in time. */
    static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c instanceof org.apache.kafka.common.errors.TimeoutException) {
                return true;
            }
        }
        return false;
    }
}
