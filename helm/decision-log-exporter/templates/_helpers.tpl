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

{{/*
Bytes of a Kubernetes quantity ("2Gi", "1536Mi", "512Ki", "1G", "500M", "1.5Gi", "1073741824"), as a decimal string.
Fails with the value's name for anything else. Called with (dict "name" "<value's key>" "value" <quantity>).
*/}}
{{- define "dle.bytes" -}}
{{- $q := toString .value | trim -}}
{{- $format := "^([0-9]+(\\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$" -}}
{{- if not (regexMatch $format $q) -}}
{{- fail (printf "%s %q is not a quantity like 2Gi, 512Mi or 1G" .name $q) -}}
{{- end -}}
{{- $number := regexReplaceAll $format $q "${1}" -}}
{{- $unit := regexReplaceAll $format $q "${3}" -}}
{{- $factor := get (dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776) $unit -}}
{{- if contains "." $number -}}
{{- printf "%d" (mulf (float64 $number) $factor | floor | int64) -}}
{{- else -}}
{{- printf "%d" (mul (int64 $number) $factor) -}}
{{- end -}}
{{- end -}}

{{/* Bytes as whole mebibytes, rounded down, in Spring's DataSize syntax (Spring's MB is 1024 KB): "1984MB". */}}
{{- define "dle.dataSize" -}}
{{- printf "%dMB" (div (int64 .) 1048576) -}}
{{- end -}}

{{/* The smallest journal cap the exporter accepts (exporter.journal.max-size), in bytes: 64MB. */}}
{{- define "dle.minJournalBytes" -}}67108864{{- end -}}

{{/*
The journal's cap in bytes for a pod kind ("audit": the exporter's own volume; "admission": the export volume it
shares with Gatekeeper's admission spool), with the volume's numbers; fails when the cap would be below the minimum.
*/}}
{{- define "dle.journalBudget" -}}
{{- $ := .root -}}
{{- $v := $.Values -}}
{{- $headroom := int64 (include "dle.bytes" (dict "name" "exporter.stateVolume.headroom" "value" $v.exporter.stateVolume.headroom)) -}}
{{- $min := int64 (include "dle.minJournalBytes" .) -}}
{{- if eq .mode "audit" -}}
{{- if not $v.exporter.stateVolume.sizeLimit -}}
{{- fail "exporter.stateVolume.sizeLimit is required: the kubelet evicts a pod whose emptyDir grows without bound on a full node, and the journal's cap (exporter.journal.max-size) is derived from it" -}}
{{- end -}}
{{- $size := int64 (include "dle.bytes" (dict "name" "exporter.stateVolume.sizeLimit" "value" $v.exporter.stateVolume.sizeLimit)) -}}
{{- $cap := sub $size $headroom -}}
{{- if lt $cap $min -}}
{{- fail (printf "exporter.stateVolume.sizeLimit %v leaves %s for the journal after exporter.stateVolume.headroom %v; the exporter needs at least 64MB: raise sizeLimit to at least 64Mi plus the headroom" $v.exporter.stateVolume.sizeLimit (include "dle.dataSize" (max $cap 0)) $v.exporter.stateVolume.headroom) -}}
{{- end -}}
{{- $cap -}}
{{- else -}}
{{- $limit := $v.gatekeeper.audit.exportVolumeSizeLimit -}}
{{- if not $limit -}}
{{- fail "gatekeeper.admission.enabled needs gatekeeper.audit.exportVolumeSizeLimit: the exporter's journal in each controller-manager pod lives on Gatekeeper's export volume, and its cap is derived from that volume's sizeLimit" -}}
{{- end -}}
{{- $size := int64 (include "dle.bytes" (dict "name" "gatekeeper.audit.exportVolumeSizeLimit" "value" $limit)) -}}
{{- $reserve := int64 (include "dle.bytes" (dict "name" "gatekeeper.admission.gatekeeperReserve" "value" $v.gatekeeper.admission.gatekeeperReserve)) -}}
{{- if lt $reserve 33554432 -}}
{{- fail (printf "gatekeeper.admission.gatekeeperReserve %v is too small: Gatekeeper keeps up to 20 MiB of finished admission segments plus the one it writes; reserve at least 32Mi" $v.gatekeeper.admission.gatekeeperReserve) -}}
{{- end -}}
{{- $cap := sub (sub $size $reserve) $headroom -}}
{{- if lt $cap $min -}}
{{- fail (printf "gatekeeper.audit.exportVolumeSizeLimit %v leaves %s for the controller-manager exporter's journal after gatekeeper.admission.gatekeeperReserve %v and exporter.stateVolume.headroom %v; the exporter needs at least 64MB: raise exportVolumeSizeLimit" $limit (include "dle.dataSize" (max $cap 0)) $v.gatekeeper.admission.gatekeeperReserve $v.exporter.stateVolume.headroom) -}}
{{- end -}}
{{- $cap -}}
{{- end -}}
{{- end -}}

{{/* Seconds the exporter drains its backlog on SIGTERM: the pods' grace period minus the margin. */}}
{{- define "dle.drainSeconds" -}}
{{- $grace := int .Values.gatekeeper.terminationGracePeriodSeconds -}}
{{- $margin := int .Values.exporter.drain.marginSeconds -}}
{{- if lt (sub $grace $margin) 1 -}}
{{- fail (printf "exporter.drain.marginSeconds %d leaves no time to drain within gatekeeper.terminationGracePeriodSeconds %d: the margin must be below the grace period" $margin $grace) -}}
{{- end -}}
{{- sub $grace $margin -}}
{{- end -}}

{{/* Where the exporter of a controller-manager pod keeps its journal: on the export volume, beside the export path. */}}
{{- define "dle.admissionStateDir" -}}
{{- printf "%s/decision-log-exporter" (clean .Values.gatekeeper.audit.exportMountPath) -}}
{{- end -}}

{{/* True ("true") when path a is b or lies under b. */}}
{{- define "dle.within" -}}
{{- $a := clean (index . 0) -}}
{{- $b := clean (index . 1) -}}
{{- if or (eq $a $b) (hasPrefix (printf "%s/" (trimSuffix "/" $b)) $a) -}}true{{- end -}}
{{- end -}}

{{/* Checks that JSON schema cannot express; each fails with a message naming the value to fix. */}}
{{- define "dle.validate" -}}
{{- $v := .Values -}}
{{- if semverCompare "<3.21.0-0" (toString $v.gatekeeper.version) -}}
{{- fail (printf "gatekeeper.version %v: Gatekeeper 3.21 is the minimum. Its chart is the first with extraVolumes, which carries the exporter's journal volume into the audit pod" $v.gatekeeper.version) -}}
{{- end -}}
{{- if and $v.gatekeeper.admission.enabled (semverCompare "<3.24.0-0" (toString $v.gatekeeper.version)) -}}
{{- fail (printf "gatekeeper.admission.enabled needs Gatekeeper's chart 3.24 or later (master, 3.24.0-beta.0), but gatekeeper.version is %v: released Gatekeeper (3.23 and earlier) exports no admission decisions to disk; they exist only in its logs (--log-denies)" $v.gatekeeper.version) -}}
{{- end -}}
{{- $port := int $v.exporter.managementPort -}}
{{- range $name, $taken := dict "gatekeeper.healthPort" $v.gatekeeper.healthPort "gatekeeper.metricsPort" $v.gatekeeper.metricsPort "gatekeeper.webhookPort" $v.gatekeeper.webhookPort -}}
{{- if eq $port (int $taken) -}}
{{- fail (printf "exporter.managementPort %d is %s, which Gatekeeper's manager already listens on in the same pod: choose another port" $port $name) -}}
{{- end -}}
{{- end -}}
{{- $state := clean $v.exporter.stateDir -}}
{{- $mount := clean $v.gatekeeper.audit.exportMountPath -}}
{{- $export := clean $v.gatekeeper.audit.exportPath -}}
{{- range $p := list $mount $export -}}
{{- if or (include "dle.within" (list $state $p)) (include "dle.within" (list $p $state)) -}}
{{- fail (printf "exporter.stateDir %s overlaps Gatekeeper's export directory %s: the journal must live on a volume of its own, outside the export path" $state $p) -}}
{{- end -}}
{{- end -}}
{{- if or (eq $export $mount) (not (include "dle.within" (list $export $mount))) -}}
{{- fail (printf "gatekeeper.audit.exportPath %s must be under gatekeeper.audit.exportMountPath %s" $export $mount) -}}
{{- end -}}
{{- $admissionState := include "dle.admissionStateDir" . -}}
{{- if and $v.gatekeeper.admission.enabled (or (include "dle.within" (list $export $admissionState)) (include "dle.within" (list $admissionState $export))) -}}
{{- fail (printf "gatekeeper.audit.exportPath %s overlaps %s, where the controller-manager exporter keeps its journal: choose an export path beside it, such as %s/topics" $export $admissionState $mount) -}}
{{- end -}}
{{- range $key := list "persistentVolumeClaim" "ephemeral" "hostPath" "nfs" "csi" -}}
{{- if hasKey $v.exporter.stateVolume $key -}}
{{- fail (printf "exporter.stateVolume.%s: the exporter's volume goes into Gatekeeper's extraVolumes, which Gatekeeper adds to every pod, audit and all controller-manager replicas. A claim there would be mounted by every replica (a ReadWriteOnce claim cannot be), and the exporter locks its journal, so the others would wait. The state volume is always an emptyDir; see helm/README.md for what survives what" $key) -}}
{{- end -}}
{{- end -}}
{{- $_ := include "dle.journalBudget" (dict "root" . "mode" "audit") -}}
{{- if $v.gatekeeper.admission.enabled -}}
{{- $_ := include "dle.journalBudget" (dict "root" . "mode" "admission") -}}
{{- end -}}
{{- $_ := include "dle.drainSeconds" . -}}
{{- if and $v.kafka.tls.enabled (not $v.kafka.tls.secretName) -}}
{{- fail "kafka.tls.enabled needs kafka.tls.secretName: the name of a Secret with the CA bundle" -}}
{{- end -}}
{{- if ne (empty $v.kafka.tls.certKey) (empty $v.kafka.tls.keyKey) -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together: set both for mutual TLS, or neither" -}}
{{- end -}}
{{- if and $v.kafka.sasl.enabled (not $v.kafka.sasl.secretName) -}}
{{- fail "kafka.sasl.enabled needs kafka.sasl.secretName: the name of a Secret with the credentials" -}}
{{- end -}}
{{- if and $v.kafka.sasl.enabled (not $v.kafka.tls.enabled) (not $v.kafka.sasl.allowPlaintext) -}}
{{- fail "kafka.sasl.enabled without kafka.tls.enabled sends the credentials and every decision unencrypted (SASL_PLAINTEXT): enable kafka.tls, or set kafka.sasl.allowPlaintext: true if the network is trusted" -}}
{{- end -}}
{{- if and $v.metrics.serviceMonitor.enabled (not $v.metrics.service.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled" -}}
{{- end -}}
{{- if and $v.metrics.serviceMonitor.enabled $v.metrics.podMonitor.enabled -}}
{{- fail "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled both scrape the audit pod's exporter, so Prometheus would hold every series twice: enable one (the PodMonitor also reaches the controller-manager pods)" -}}
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
The exporter container. Called with (dict "root" $ "mode" "audit"|"admission").
  audit:     Gatekeeper's audit pod (audit.exportSidecar); the journal on the exporter's own volume.
  admission: each controller-manager pod (admission.exportSidecar, Gatekeeper 3.24+). Gatekeeper's chart replaces
             this container's volumeMounts with the export volume alone, so the journal lives there, beside the
             export path, and java.io.tmpdir beside it (the exporter creates it at start).
Every setting is an environment variable that Spring binds (EXPORTER_*, SPRING_KAFKA_*, MANAGEMENT_*).
*/}}
{{- define "dle.container" -}}
{{- $ := .root -}}
{{- $v := $.Values -}}
{{- $audit := eq .mode "audit" -}}
{{- $mount := clean $v.gatekeeper.audit.exportMountPath -}}
{{- $state := ternary (clean $v.exporter.stateDir) (include "dle.admissionStateDir" $) $audit -}}
{{- $tmp := ternary $state (printf "%s/tmp" $state) $audit -}}
name: {{ $v.exporter.containerName }}
image: {{ include "dle.image" $ | quote }}
imagePullPolicy: {{ $v.image.pullPolicy }}
ports:
  - name: {{ include "dle.portName" $ }}
    containerPort: {{ int $v.exporter.managementPort }}
    protocol: TCP
env:
  - name: JDK_JAVA_OPTIONS
    value: {{ printf "%s -Djava.io.tmpdir=%s" ($v.exporter.jvmOptions | trim) $tmp | quote }}
  - name: MANAGEMENT_SERVER_PORT
    value: {{ $v.exporter.managementPort | int | toString | quote }}
  - name: EXPORTER_JOURNAL_DIR
    value: {{ printf "%s/journal" $state | quote }}
  # The cap on everything the journal keeps on disk: the volume's sizeLimit minus what else lives there.
  - name: EXPORTER_JOURNAL_MAXSIZE
    value: {{ include "dle.dataSize" (include "dle.journalBudget" (dict "root" $ "mode" .mode)) | quote }}
  - name: EXPORTER_JOURNAL_ROLLCYCLE
    value: {{ $v.exporter.journal.rollCycle | quote }}
  # On SIGTERM: publish the backlog for this long (the pod's grace period minus exporter.drain.marginSeconds).
  - name: EXPORTER_PUBLISH_DRAINTIMEOUT
    value: {{ printf "%ss" (include "dle.drainSeconds" $) | quote }}
  - name: EXPORTER_SOCKET_ENABLED
    value: "false"
  - name: EXPORTER_GATEKEEPER_ENABLED
    value: "true"
  - name: EXPORTER_GATEKEEPER_EXPORTPATH
    value: {{ clean $v.gatekeeper.audit.exportPath | quote }}
  - name: EXPORTER_GATEKEEPER_CHANNELS
    value: {{ $v.gatekeeper.audit.channel | quote }}
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
# Readiness is "started" (journal open, sources running): never Kafka, never a full journal.
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
  {{- if $audit }}
  - name: {{ $v.exporter.stateVolume.name }}
    mountPath: {{ $state }}
  {{- end }}
  - name: {{ $v.gatekeeper.audit.exportVolumeName }}
    mountPath: {{ $mount }}
{{- end -}}

{{/* The values file for Gatekeeper's chart (checked against its charts/gatekeeper 3.21 to 3.24 templates). */}}
{{- define "dle.gatekeeperValues" -}}
{{- include "dle.validate" . -}}
{{- $v := .Values -}}
{{- $g := $v.gatekeeper.audit -}}
# Values for Gatekeeper's Helm chart {{ $v.gatekeeper.version }} that put decision-log-exporter into the audit pod
{{- if $v.gatekeeper.admission.enabled }} and the controller-manager pods{{ end }}.
# Made by the {{ .Chart.Name }} chart {{ .Chart.Version }}; use with (no --reuse-values: it keeps the old image):
#   helm upgrade --install {{ $v.gatekeeper.releaseName }} gatekeeper/gatekeeper --version {{ $v.gatekeeper.version }} -n {{ .Release.Namespace }} -f <your Gatekeeper values> -f <this file>
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
    emptyDir:
      {{- if and $v.gatekeeper.admission.enabled $g.exportVolumeSizeLimit }}
      sizeLimit: {{ $g.exportVolumeSizeLimit }}
      {{- else }} {}
      {{- end }}
  exportVolumeMount:
    path: {{ clean $g.exportMountPath | quote }}
  exportSidecar:
    {{- include "dle.container" (dict "root" . "mode" "audit") | nindent 4 }}
{{- if $v.gatekeeper.admission.enabled }}
# Gatekeeper 3.24+: each controller-manager pod writes its admission violations to its own export volume, read there.
enableAdmissionViolationExport: true
admission:
  disableExportSidecar: false
  exportSidecar:
    {{- include "dle.container" (dict "root" . "mode" "admission") | nindent 4 }}
{{- end }}
# The audit exporter's own volume for its journal and temporary files. Gatekeeper adds extraVolumes to every one of
# its pods: in the controller-manager pods it stays an empty, unused emptyDir (no cost; sizeLimit reserves nothing).
extraVolumes:
  - name: {{ $v.exporter.stateVolume.name }}
    emptyDir:
      sizeLimit: {{ $v.exporter.stateVolume.sizeLimit }}
{{- end -}}
