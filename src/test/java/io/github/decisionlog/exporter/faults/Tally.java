package io.github.decisionlog.exporter.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What a fault test counts once it has read the whole topic: records sent, accepted (acknowledged by the exporter),
 * found in Kafka, and duplicated. A duplicate is fine only if it carries the same record id as its first copy, or
 * if the producer itself sent the record twice (it re-sent a record whose acknowledgement a crash swallowed).
 */
public final class Tally {

    /** (producer, seq) of a record found in Kafka, and every record id it arrived with. */
    private final Map<Long, Set<String>> idsByRecord = new HashMap<>();
    private final Map<Long, Integer> copies = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private long inKafkaRecords;
    private long duplicates;
    private long duplicatesSameId;
    private long duplicatesResentByClient;
    private long missing;
    private long sent;
    private long accepted;
    private long foreign;

    private Tally() {
    }

    private static long key(int producer, long seq) {
        return ((long) producer << 40) | seq;
    }

    /** Counts {@code records} against what {@code producers} sent and had acknowledged. */
    public static Tally of(List<ConsumerRecord<byte[], byte[]>> records, List<StreamingProducer> producers) {
        Tally t = new Tally();
        java.util.Set<Integer> ours = new HashSet<>();
        producers.forEach(p -> ours.add(p.id()));
        for (ConsumerRecord<byte[], byte[]> r : records) {
            long[] ps = producerAndSeq(r.value());
            if (ps == null || !ours.contains((int) ps[0])) {
                t.foreign++; // not made by one of these producers
                continue;
            }
            t.inKafkaRecords++;
            long k = key((int) ps[0], ps[1]);
            t.idsByRecord.computeIfAbsent(k, x -> new HashSet<>()).add(TopicReader.header(r, "record_id"));
            t.copies.merge(k, 1, Integer::sum);
        }
        Map<Integer, StreamingProducer> byId = new HashMap<>();
        producers.forEach(p -> byId.put(p.id(), p));
        for (StreamingProducer p : producers) {
            t.sent += p.sent();
            BitSet accepted = p.accepted();
            t.accepted += accepted.cardinality();
            for (int seq = accepted.nextSetBit(0); seq >= 0; seq = accepted.nextSetBit(seq + 1)) {
                if (!t.copies.containsKey(key(p.id(), seq))) {
                    t.missing++;
                    if (t.problems.size() < 20) {
                        t.problems.add("accepted and missing: producer " + p.id() + " seq " + seq);
                    }
                }
            }
        }
        for (var e : t.copies.entrySet()) {
            int n = e.getValue();
            if (n <= 1) {
                continue;
            }
            t.duplicates += n - 1;
            int producer = (int) (e.getKey() >>> 40);
            int seq = (int) (e.getKey() & ((1L << 40) - 1));
            int ids = t.idsByRecord.get(e.getKey()).size();
            StreamingProducer p = byId.get(producer);
            boolean resent = p != null && p.resent().get(seq);
            if (ids == 1) {
                t.duplicatesSameId += n - 1;
            } else if (resent) {
                t.duplicatesResentByClient += n - 1;
            } else {
                t.duplicatesSameId += n - ids;
                if (t.problems.size() < 20) {
                    t.problems.add("duplicate with another record id, not re-sent by its producer: producer "
                            + producer + " seq " + seq);
                }
            }
        }
        return t;
    }

    /** Reads "seq":N,"producer":P from a record made by {@code DecisionRecords.violation}. */
    private static long[] producerAndSeq(byte[] value) {
        String s = new String(value, 0, Math.min(value.length, 200), StandardCharsets.UTF_8);
        int i = s.indexOf("\"seq\":");
        int j = s.indexOf(",\"producer\":");
        if (i < 0 || j < 0) {
            return null;
        }
        long seq = Long.parseLong(s.substring(i + 6, j));
        int end = j + 12;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        return new long[] {Long.parseLong(s.substring(j + 12, end)), seq};
    }

    public long sent() {
        return sent;
    }

    public long accepted() {
        return accepted;
    }

    /** Distinct records of the producers found in Kafka. */
    public long inKafka() {
        return copies.size();
    }

    /** Records in Kafka that are copies of one already there. */
    public long duplicates() {
        return duplicates;
    }

    /** Accepted records that are not in Kafka. */
    public long missing() {
        return missing;
    }

    /** Whether a record (producer, seq) is in Kafka. */
    public boolean found(int producer, long seq) {
        return copies.containsKey(key(producer, seq));
    }

    /** Accepted records missing, and duplicates that neither share a record id nor were re-sent by the producer. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    public long duplicatesWithTheSameRecordId() {
        return duplicatesSameId;
    }

    public long duplicatesResentByProducers() {
        return duplicatesResentByClient;
    }

    /** The one line a test prints, and appends to {@code target/fault-tests-summary.txt}. */
    public String summary(String test) {
        String line = String.format("%s: sent=%d, accepted=%d, in kafka=%d (records %d), duplicates=%d "
                + "(same record id %d, re-sent by producer %d), missing=%d", test, sent, accepted, inKafka(),
                inKafkaRecords, duplicates, duplicatesSameId, duplicatesResentByClient, missing);
        print(line);
        return line;
    }

    /** Prints a line and keeps it in {@code target/fault-tests-summary.txt} for the notes. */
    public static void print(String line) {
        System.out.println(line);
        Path file = Path.of(System.getProperty("basedir", "."), "target", "fault-tests-summary.txt");
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the console has it
        }
    }
}
