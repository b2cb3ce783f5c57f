package io.github.decisionlog.exporter.publish;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.decisionlog.exporter.ExporterProperties;
import io.github.decisionlog.exporter.journal.JournalEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.kafka.core.KafkaTemplate;

/**
 * Where records go that Kafka refuses for good (too large for the topic, invalid for it): to the dead-letter topic
 * with the reason in a header, or, with no such topic, counted as dropped and logged with their record id.
 */
final class DeadLetters {

    /** Why Kafka refused the record, on the dead-letter copy. */
    static final String REASON = "dead_letter_reason";

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    private final KafkaTemplate<byte[], byte[]> kafka;
    private final KafkaRecords records;
    private final ExporterProperties.Publish settings;
    private final MeterRegistry registry;

    DeadLetters(KafkaTemplate<byte[], byte[]> kafka, KafkaRecords records, ExporterProperties.Publish settings,
            MeterRegistry registry) {
        this.kafka = kafka;
        this.records = records;
        this.settings = settings;
        this.registry = registry;
    }

    /** Errors about one record that no retry can cure; errors about the broker or the client are not. */
    static boolean isPoison(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException
                    || t instanceof InvalidRecordException || t instanceof SerializationException) {
                return true;
            }
        }
        return false;
    }

    /** True once the record is dead-lettered or counted as dropped; false if it should be tried again later. */
    boolean handle(JournalEntry entry, Throwable error) {
        String reason = describe(error);
        String tag = rootCause(error).getClass().getSimpleName();
        if (!settings.deadLetterTopic().isBlank()) {
            ProducerRecord<byte[], byte[]> copy = records.toRecord(entry, settings.deadLetterTopic());
            copy.headers().add(REASON, reason.getBytes(StandardCharsets.UTF_8));
            try {
                kafka.send(copy).get(settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
                count("decisionlog.records.dead.lettered", tag);
                log.warn("Record {} sent to dead-letter topic {}: Kafka refused it for good ({})", entry.recordId(),
                        settings.deadLetterTopic(), reason);
                return true;
            } catch (ExecutionException e) {
                if (!isPoison(e)) {
                    return false;
                }
                reason = reason + "; the dead-letter topic refused it too (" + describe(e) + ")";
            } catch (TimeoutException | RuntimeException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        count("decisionlog.records.dropped", "poison");
        log.error("Record {} dropped after {} attempts: Kafka refused it for good ({}); set "
                + "exporter.publish.dead-letter-topic to keep such records", entry.recordId(),
                settings.poisonAttempts(), reason);
        return true;
    }

    private void count(String name, String reason) {
        Counter.builder(name).tag("reason", reason).register(registry).increment();
    }

    static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String describe(Throwable t) {
        Throwable root = rootCause(t);
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
