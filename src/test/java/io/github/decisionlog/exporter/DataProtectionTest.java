package io.github.decisionlog.exporter;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.decisionlog.exporter.support.DecisionRecords;
import io.github.decisionlog.exporter.support.ExporterRun;
import io.github.decisionlog.exporter.support.InJvmKafkaTest;
import io.github.decisionlog.exporter.support.SocketProducer;
import io.github.decisionlog.exporter.support.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Who may write, and what never leaves the process: checked with real sockets, the journal's files on disk and a
 * KRaft broker in this JVM.
 */
class DataProtectionTest extends InJvmKafkaTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aSecretsDataNeverReachesTheJournalFilesNorKafkaFromEitherSocket() throws Exception {
        String topic = "secrets";
        TopicReader.createTopic(bootstrap(), topic, 1);
        Path datagrams = dir.resolve("decisions.dgram");
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.datagram.enabled", "true", "exporter.datagram.path", datagrams.toString()))) {
            try (SocketProducer producer = new SocketProducer(exporter.socket())) {
                producer.sendLine(DecisionRecords.secretAdmission("over-the-stream"));
            }
            sendDatagram(datagrams, DecisionRecords.secretAdmission("over-a-datagram"));
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 2,
                    Duration.ofSeconds(60));

            assertThat(records).hasSize(2);
            assertThat(records).extracting(r -> TopicReader.header(r, "source"))
                    .containsExactlyInAnyOrder("socket", "datagram");
            for (ConsumerRecord<byte[], byte[]> r : records) {
                String value = new String(r.value(), StandardCharsets.UTF_8);
                assertThat(value).doesNotContain(DecisionRecords.SECRET_VALUE)
                        .doesNotContain(DecisionRecords.SECRET_TOKEN);
                JsonNode object = JSON.readTree(value).at("/input/review/object");
                assertThat(object.has("data")).isFalse();
                assertThat(object.has("stringData")).isFalse();
                assertThat(object.at("/type").asString()).isEqualTo("Opaque");
                assertThat(TopicReader.header(r, "redacted")).isEqualTo("3");
            }
            assertThat(exporter.metric("decisionlog.records.redacted")).isEqualTo(2);
        }
        List<Path> journalFiles;
        try (Stream<Path> files = Files.walk(dir.resolve("journal"))) {
            journalFiles = files.filter(f -> f.toString().endsWith(".cq4")).toList();
        }
        assertThat(journalFiles).isNotEmpty();
        for (Path file : journalFiles) {
            byte[] bytes = Files.readAllBytes(file);
            assertThat(contains(bytes, DecisionRecords.SECRET_VALUE)).as("secret in %s", file).isFalse();
            assertThat(contains(bytes, DecisionRecords.SECRET_TOKEN)).as("secret in %s", file).isFalse();
            assertThat(contains(bytes, "over-a-datagram")).as("the record itself is in the journal files").isTrue();
        }
    }

    @Test
    void aConnectionFromAUidNotAllowedIsRefusedCountedAndNothingOfItIsJournaled() throws Exception {
        String topic = "uids";
        TopicReader.createTopic(bootstrap(), topic, 1);
        long myUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.socket.allowed-uids", String.valueOf(myUid + 12345)))) {
            try (AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(exporter.socket()))) {
                socket.getOutputStream().write("{\"n\":1}\n".getBytes(StandardCharsets.UTF_8));
                assertThat(readToEnd(socket.getInputStream())).as("closed by the exporter").isEmpty();
            } catch (IOException closedBeforeWrite) {
                // the exporter may close before the write: refused either way
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                    exporter.metric("decisionlog.connections.refused", "reason", "uid")).isEqualTo(1));
            assertThat(exporter.metric("decisionlog.journal.appended")).isZero();
        }
    }

    /**
     * The sender really runs as another user (nobody, 65534): refused on the stream socket by the uid list, and kept
     * off the datagram socket by its file mode. Needs root and setpriv, as on CI; skipped elsewhere.
     */
    @Test
    void aProducerRunningAsAnotherUserIsRefusedWhileTheAllowedOneIsServed() throws Exception {
        long myUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assumeThat(myUid).isZero();
        assumeThat(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/python3")))
                .isTrue();
        String topic = "other-user";
        TopicReader.createTopic(bootstrap(), topic, 1);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody may reach the files
        Path datagrams = dir.resolve("decisions.dgram");
        try (ExporterRun exporter = ExporterRun.start(dir, bootstrap(), topic,
                Map.of("exporter.socket.allowed-uids", "0", "exporter.socket.file-mode", "666",
                        "exporter.datagram.enabled", "true", "exporter.datagram.path", datagrams.toString(),
                        "exporter.datagram.file-mode", "600"))) {
            Process stream = asNobody("import socket; s = socket.socket(socket.AF_UNIX); s.connect('"
                    + exporter.socket() + "'); s.sendall(b'{\"from\":\"nobody\"}\\n'); print(len(s.recv(100)))");
            assertThat(stream.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Process datagram = asNobody("import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
                    + "s.sendto(b'{\"from\":\"nobody\"}', '" + datagrams + "')");
            assertThat(datagram.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(datagram.exitValue()).as("the kernel refuses the datagram: mode 600").isNotZero();
            assertThat(new String(datagram.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("PermissionError");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                    exporter.metric("decisionlog.connections.refused", "reason", "uid")).isEqualTo(1));

            try (SocketProducer root = new SocketProducer(exporter.socket())) {
                root.sendLine("{\"from\":\"root\"}");
            }
            List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAll(bootstrap(), topic, 1,
                    Duration.ofSeconds(30));
            assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("{\"from\":\"root\"}");
        }
    }

    private static Process asNobody(String python) throws IOException {
        return new ProcessBuilder("/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                "/usr/bin/python3", "-c", python).redirectErrorStream(true).start();
    }

    static void sendDatagram(Path path, String record) throws IOException {
        try (AFUNIXDatagramSocket socket = AFUNIXDatagramSocket.newInstance()) {
            socket.connect(AFUNIXSocketAddress.of(path));
            byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(bytes, bytes.length));
        }
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (IOException reset) {
            return new byte[0];
        }
    }

    private static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i <= haystack.length - n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
