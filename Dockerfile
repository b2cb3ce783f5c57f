# syntax=docker/dockerfile:1
#
# decision-log-exporter: a small, locked-down image for running the exporter as a sidecar.
#   docker build -t decision-log-exporter:0.1.0 .
# The image runs as user 1000, group 999 (as Gatekeeper's chart runs its sidecar), works with a read-only root
# filesystem and all capabilities dropped. Every place the exporter writes is a path to mount a volume on:
#   /var/lib/decision-log-exporter   the journal (EXPORTER_JOURNAL_DIR); owned by 1000:999, so a new named volume
#                                    mounted here is writable too
#   /tmp                             java.io.tmpdir (junixsocket extracts its native library here: not noexec) and
#                                    the socket (EXPORTER_SOCKET_PATH)
# No HEALTHCHECK: Kubernetes probes /actuator/health/{liveness,readiness} on the management port instead.

ARG JDK_IMAGE=eclipse-temurin:17-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:17-jre-noble

FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml application.yaml ./
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q package -DskipTests

FROM ${JRE_IMAGE}
ARG VERSION=0.1.0-SNAPSHOT
LABEL org.opencontainers.image.title="decision-log-exporter" \
      org.opencontainers.image.description="Forwards OPA Gatekeeper decision logs to Kafka through a durable on-disk journal" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:17-jre-noble"

# The jar the build makes: target/<artifactId>-<version>.jar (a test checks this name against pom.xml).
COPY --from=build --chown=0:0 --chmod=0444 /src/target/decision-log-exporter-0.1.0-SNAPSHOT.jar /app/decision-log-exporter.jar
COPY --chown=0:0 --chmod=0555 src/main/docker/cds-training.sh /app/cds-training.sh

# Sized for a sidecar: the heap follows the container's memory limit, serial GC, small stacks and code cache, native
# memory the JVM freed (the JIT compilers' arenas, mostly) given back to the system every second (about 20 MiB of RSS),
# and exit (so Kubernetes restarts the container) rather than limp on after an OutOfMemoryError. The java launcher reads
# JDK_JAVA_OPTIONS, so a pod can replace these without repeating the entrypoint.
ENV JDK_JAVA_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=30 -XX:InitialRAMPercentage=5 -Xss512k -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=128m -XX:TrimNativeHeapInterval=1000 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"

# Start-up in about half the time: the jar extracted (class data sharing needs plain jars) and an archive of the
# classes a start loads, written by one training start with the JVM options above (src/main/docker/cds-training.sh).
RUN java -Djarmode=tools -jar /app/decision-log-exporter.jar extract --destination /app/exporter \
        --application-filename decision-log-exporter.jar \
    && /app/cds-training.sh /app/exporter \
    && rm /app/decision-log-exporter.jar /app/cds-training.sh

# Two malloc arenas instead of one per thread and core: the JIT compilers' and the Kafka client's native memory
# stays in fewer, fuller arenas.
ENV MALLOC_ARENA_MAX=2

ENV EXPORTER_JOURNAL_DIR=/var/lib/decision-log-exporter/journal
RUN install -d -o 1000 -g 999 -m 0770 /var/lib/decision-log-exporter

USER 1000:999
WORKDIR /tmp
EXPOSE 9090
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/exporter/exporter.jsa", "-Dchronicle.analytics.disable=true", "-jar", "/app/exporter/decision-log-exporter.jar"]
