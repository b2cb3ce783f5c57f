package io.github.decisionlog.exporter.observe;

import java.util.Comparator;
import java.util.List;

import io.github.decisionlog.exporter.ExporterApplication;
import io.github.decisionlog.exporter.journal.Journal;

import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * Keeps health and metrics answering while the pipeline stops: stops the sources and then the publisher (which drains
 * the backlog to Kafka) as soon as the context starts to close, before anything else closes. Spring Boot closes the
 * management server when the context closes, before the lifecycle beans stop, and during a drain of up to
 * {@code exporter.publish.drain-timeout} the health probes and {@code /actuator/prometheus} must still answer. The
 * journal is left to the lifecycle, which closes it last.
 */
@Component
class PipelineStop implements ApplicationListener<ContextClosedEvent>, Ordered {

    private final ApplicationContext context;

    PipelineStop(ApplicationContext context) {
        this.context = context;
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (event.getApplicationContext() != context) {
            return; // the management context closing
        }
        String pipeline = ExporterApplication.class.getPackageName() + ".";
        List<SmartLifecycle> stages = context.getBeansOfType(SmartLifecycle.class).values().stream()
                .filter(b -> b.getClass().getName().startsWith(pipeline))
                .filter(b -> b.getPhase() > Journal.PHASE && b.isRunning())
                .sorted(Comparator.comparingInt(SmartLifecycle::getPhase).reversed())
                .toList();
        stages.forEach(SmartLifecycle::stop);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
