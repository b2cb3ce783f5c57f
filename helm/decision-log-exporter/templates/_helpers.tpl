{{- define "dle.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dle.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "dle.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "dle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gatekeeper
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "dle.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels of Gatekeeper's audit pods (see Gatekeeper's gatekeeper-audit-deployment.yaml). */}}
{{- define "dle.auditPodSelector" -}}
control-plane: audit-controller
gatekeeper.sh/operation: audit
gatekeeper.sh/system: "yes"
release: {{ .Values.gatekeeper.releaseName | quote }}
{{- end -}}

{{/* Named container port of the exporter, also what the PodMonitor scrapes. */}}
{{- define "dle.portName" -}}dle-http{{- end -}}

{{/* Checks that JSON schema cannot express; each fails with a message naming the value to fix. */}}
{{- define "dle.validate" -}}
{{- $port := int .Values.exporter.managementPort -}}
{{- range $name, $taken := dict "gatekeeper.healthPort" .Values.gatekeeper.healthPort "gatekeeper.metricsPort" .Values.gatekeeper.metricsPort "gatekeeper.webhookPort" .Values.gatekeeper.webhookPort -}}
{{- if eq $port (int $taken) -}}
{{- fail (printf "exporter.managementPort %d is %s, which Gatekeeper's manager already listens on in the same pod: choose another port" $port $name) -}}
{{- end -}}
{{- end -}}
{{- $state := clean .Values.exporter.stateDir -}}
{{- $mount := clean .Values.gatekeeper.audit.exportMountPath -}}
{{- $export := clean .Values.gatekeeper.audit.exportPath -}}
{{- range $p := list $mount $export -}}
{{- if or (eq $state $p) (hasPrefix (printf "%s/" $p) $state) (hasPrefix (printf "%s/" $state) $p) -}}
{{- fail (printf "exporter.stateDir %s overlaps Gatekeeper's export directory %s: the journal must live on a volume of its own, outside the export path" $state $p) -}}
{{- end -}}
{{- end -}}
{{- if not (hasPrefix (printf "%s/" $mount) (printf "%s/" $export)) -}}
{{- fail (printf "gatekeeper.audit.exportPath %s must be under gatekeeper.audit.exportMountPath %s" $export $mount) -}}
{{- end -}}
{{- if and .Values.kafka.tls.enabled (not .Values.kafka.tls.secretName) -}}
{{- fail "kafka.tls.enabled needs kafka.tls.secretName: the name of a Secret with the CA bundle" -}}
{{- end -}}
{{- if ne (empty .Values.kafka.tls.certKey) (empty .Values.kafka.tls.keyKey) -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together: set both for mutual TLS, or neither" -}}
{{- end -}}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.secretName) -}}
{{- fail "kafka.sasl.enabled needs kafka.sasl.secretName: the name of a Secret with the credentials" -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled" -}}
{{- end -}}
{{- end -}}

{{- define "dle.requireKafka" -}}
{{- required "kafka.bootstrapServers is required: the Kafka brokers as host:port[,host:port...]" .Values.kafka.bootstrapServers -}}
{{- end -}}

{{- define "dle.securityProtocol" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.sasl.enabled -}}SASL_SSL
{{- else if .Values.kafka.sasl.enabled -}}SASL_PLAINTEXT
{{- else if .Values.kafka.tls.enabled -}}SSL
{{- end -}}
{{- end -}}

{{- define "dle.loginModule" -}}
{{- if eq .Values.kafka.sasl.mechanism "PLAIN" -}}org.apache.kafka.common.security.plain.PlainLoginModule
{{- else -}}org.apache.kafka.common.security.scram.ScramLoginModule
{{- end -}}
{{- end -}}

{{- define "dle.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | quote }}
      key: {{ .key | quote }}
{{- end -}}

{{/*
The exporter container. Called with (dict "root" $ "mode" "audit"|"controllerManager").
Every setting is an environment variable that Spring binds (EXPORTER_*, SPRING_KAFKA_*, MANAGEMENT_*).
*/}}
{{- define "dle.container" -}}
{{- $ := .root -}}
{{- $v := $.Values -}}
{{- $audit := eq .mode "audit" -}}
{{- $state := clean $v.exporter.stateDir -}}
name: {{ $v.exporter.containerName }}
image: {{ include "dle.image" $ | quote }}
imagePullPolicy: {{ $v.image.pullPolicy }}
ports:
  - name: {{ include "dle.portName" $ }}
    containerPort: {{ int $v.exporter.managementPort }}
    protocol: TCP
env:
  - name: JDK_JAVA_OPTIONS
    value: {{ printf "%s -Djava.io.tmpdir=%s" ($v.exporter.jvmOptions | trim) $state | quote }}
  - name: MANAGEMENT_SERVER_PORT
    value: {{ $v.exporter.managementPort | int | toString | quote }}
  - name: EXPORTER_JOURNAL_DIR
    value: {{ printf "%s/journal" $state | quote }}
  - name: EXPORTER_JOURNAL_ROLLCYCLE
    value: {{ $v.exporter.journal.rollCycle | quote }}
  - name: EXPORTER_SOCKET_ENABLED
    value: {{ (not $audit) | toString | quote }}
  {{- if not $audit }}
  - name: EXPORTER_SOCKET_PATH
    value: {{ printf "%s/decisions.sock" (clean $v.gatekeeper.controllerManager.socketDir) | quote }}
  - name: EXPORTER_SOCKET_FILEMODE
    value: {{ $v.gatekeeper.controllerManager.socketFileMode | toString | quote }}
  {{- end }}
  - name: EXPORTER_GATEKEEPER_ENABLED
    value: {{ $audit | toString | quote }}
  {{- if $audit }}
  - name: EXPORTER_GATEKEEPER_EXPORTPATH
    value: {{ clean $v.gatekeeper.audit.exportPath | quote }}
  - name: EXPORTER_GATEKEEPER_CHANNELS
    value: {{ $v.gatekeeper.audit.channel | quote }}
  {{- end }}
  - name: EXPORTER_PUBLISH_TOPIC
    value: {{ $v.kafka.topic | quote }}
  - name: SPRING_KAFKA_BOOTSTRAPSERVERS
    value: {{ include "dle.requireKafka" $ | quote }}
  {{- with (include "dle.securityProtocol" $) }}
  - name: SPRING_KAFKA_SECURITY_PROTOCOL
    value: {{ . | quote }}
  {{- end }}
  {{- if $v.kafka.tls.enabled }}
  - name: SPRING_KAFKA_SSL_TRUSTSTORETYPE
    value: PEM
  {{- include "dle.secretEnv" (dict "env" "SPRING_KAFKA_SSL_TRUSTSTORECERTIFICATES" "secret" $v.kafka.tls.secretName "key" $v.kafka.tls.caKey) | nindent 2 }}
  {{- if $v.kafka.tls.certKey }}
  - name: SPRING_KAFKA_SSL_KEYSTORETYPE
    value: PEM
  {{- include "dle.secretEnv" (dict "env" "SPRING_KAFKA_SSL_KEYSTORECERTIFICATECHAIN" "secret" $v.kafka.tls.secretName "key" $v.kafka.tls.certKey) | nindent 2 }}
  {{- include "dle.secretEnv" (dict "env" "SPRING_KAFKA_SSL_KEYSTOREKEY" "secret" $v.kafka.tls.secretName "key" $v.kafka.tls.keyKey) | nindent 2 }}
  {{- end }}
  {{- end }}
  {{- if $v.kafka.sasl.enabled }}
  - name: SPRING_KAFKA_PROPERTIES_SASL_MECHANISM
    value: {{ $v.kafka.sasl.mechanism | quote }}
  {{- if $v.kafka.sasl.jaasConfigKey }}
  {{- include "dle.secretEnv" (dict "env" "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG" "secret" $v.kafka.sasl.secretName "key" $v.kafka.sasl.jaasConfigKey) | nindent 2 }}
  {{- else }}
  {{- include "dle.secretEnv" (dict "env" "KAFKA_SASL_USERNAME" "secret" $v.kafka.sasl.secretName "key" $v.kafka.sasl.usernameKey) | nindent 2 }}
  {{- include "dle.secretEnv" (dict "env" "KAFKA_SASL_PASSWORD" "secret" $v.kafka.sasl.secretName "key" $v.kafka.sasl.passwordKey) | nindent 2 }}
  # Kubernetes expands $(VAR) from the two variables above when it starts the container.
  - name: SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG
    value: {{ printf "%s required username=\"$(KAFKA_SASL_USERNAME)\" password=\"$(KAFKA_SASL_PASSWORD)\";" (include "dle.loginModule" $) | quote }}
  {{- end }}
  {{- end }}
  {{- with $v.exporter.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
startupProbe:
  httpGet:
    path: /actuator/health/liveness
    port: {{ include "dle.portName" $ }}
  {{- toYaml $v.exporter.startupProbe | nindent 2 }}
livenessProbe:
  httpGet:
    path: /actuator/health/liveness
    port: {{ include "dle.portName" $ }}
  {{- toYaml $v.exporter.livenessProbe | nindent 2 }}
readinessProbe:
  httpGet:
    path: /actuator/health/readiness
    port: {{ include "dle.portName" $ }}
  {{- toYaml $v.exporter.readinessProbe | nindent 2 }}
resources:
  {{- toYaml $v.exporter.resources | nindent 2 }}
securityContext:
  {{- toYaml $v.exporter.securityContext | nindent 2 }}
volumeMounts:
  - name: {{ $v.exporter.stateVolume.name }}
    mountPath: {{ $state }}
  {{- if $audit }}
  - name: {{ $v.gatekeeper.audit.exportVolumeName }}
    mountPath: {{ clean $v.gatekeeper.audit.exportMountPath }}
  {{- else }}
  - name: {{ $v.gatekeeper.controllerManager.socketVolumeName }}
    mountPath: {{ clean $v.gatekeeper.controllerManager.socketDir }}
  {{- end }}
{{- end -}}

{{- define "dle.stateVolume" -}}
- name: {{ .Values.exporter.stateVolume.name }}
  emptyDir:
    {{- with .Values.exporter.stateVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- else }} {}
    {{- end }}
{{- end -}}

{{/* The values file for Gatekeeper's chart (checked against its charts/gatekeeper values.yaml and audit template). */}}
{{- define "dle.gatekeeperValues" -}}
{{- include "dle.validate" . -}}
{{- $g := .Values.gatekeeper.audit -}}
# Values for Gatekeeper's Helm chart that put decision-log-exporter into the audit pod.
# Made by the {{ .Chart.Name }} chart {{ .Chart.Version }}; use with:
#   helm upgrade --install gatekeeper gatekeeper/gatekeeper -n gatekeeper-system -f <this file>
enableViolationExport: true
exportBackend: disk
audit:
  connection: {{ $g.connection | quote }}
  channel: {{ $g.channel | quote }}
  exportConnection:
    path: {{ clean $g.exportPath | quote }}
    maxAuditResults: {{ int $g.maxAuditResults }}
  exportVolume:
    name: {{ $g.exportVolumeName }}
    emptyDir: {}
  exportVolumeMount:
    path: {{ clean $g.exportMountPath | quote }}
  exportSidecar:
    {{- include "dle.container" (dict "root" . "mode" "audit") | nindent 4 }}
# The exporter's own volume for its journal and temporary files (Gatekeeper adds extraVolumes to its pods).
extraVolumes:
  {{- include "dle.stateVolume" . | nindent 2 }}
{{- end -}}

{{/* A strategic merge patch for Gatekeeper's controller-manager Deployment. */}}
{{- define "dle.controllerManagerPatch" -}}
{{- include "dle.validate" . -}}
{{- $cm := .Values.gatekeeper.controllerManager -}}
# Strategic merge patch that adds decision-log-exporter to Gatekeeper's controller-manager pods. Use with:
#   kubectl -n gatekeeper-system patch deployment {{ $cm.deploymentName }} --type strategic --patch-file <this file>
spec:
  template:
    spec:
      containers:
        {{- range $cm.producerContainers }}
        - name: {{ . }}
          volumeMounts:
            - name: {{ $cm.socketVolumeName }}
              mountPath: {{ clean $cm.socketDir }}
        {{- end }}
        - {{ include "dle.container" (dict "root" . "mode" "controllerManager") | indent 10 | trim }}
      volumes:
        {{- include "dle.stateVolume" . | nindent 8 }}
        - name: {{ $cm.socketVolumeName }}
          emptyDir: {}
{{- end -}}
