package io.github.decisionlog.exporter.observe;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.github.decisionlog.exporter.ExporterProperties;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.stereotype.Component;

/**
 * Whether the Kafka cluster answers, checked in the background every few seconds so that health probes only read
 * the last answer and never wait for a broker.
 */
@Component
public class KafkaConnectivity implements DisposableBean {

    /** The last check's outcome. */
    public record State(boolean reachable, int brokers, String error, long checkedAt) {
    }

    private final Map<String, Object> config;
    private final ScheduledExecutorService checker;
    private AdminClient client; // the check thread's: created there, so that start-up does not wait for it
    private volatile State state = new State(false, 0, "not checked yet", 0);

    public KafkaConnectivity(KafkaAdmin admin, ExporterProperties properties) {
        this.config = new HashMap<>(admin.getConfigurationProperties());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "decision-log-exporter-health");
        this.checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kafka-check");
            t.setDaemon(true);
            return t;
        });
        long interval = properties.health().kafkaCheckInterval().toMillis();
        checker.scheduleWithFixedDelay(this::check, 0, interval, TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            if (client == null) {
                client = AdminClient.create(config); // one client for every check: it reconnects by itself
            }
            DescribeClusterResult cluster = client.describeCluster();
            int brokers = cluster.nodes().get(6, TimeUnit.SECONDS).size();
            state = new State(true, brokers, null, System.currentTimeMillis());
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            state = new State(false, 0, cause.getClass().getSimpleName() + ": " + cause.getMessage(),
                    System.currentTimeMillis());
        }
    }

    public State state() {
        return state;
    }

    @Override
    public void destroy() throws InterruptedException {
        checker.shutdownNow();
        if (checker.awaitTermination(10, TimeUnit.SECONDS) && client != null) {
            client.close(Duration.ofSeconds(1));
        }
    }
}
