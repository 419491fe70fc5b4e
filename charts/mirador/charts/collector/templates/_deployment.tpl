{{- define "collector.deployment" -}}
{{- $v := .Values -}}
{{- if gt (len $v.persistentQueue.volume) 1 -}}
{{- fail (printf "%s.persistentQueue.volume must hold one volume source, found %d" .component (len $v.persistentQueue.volume)) -}}
{{- end }}
{{- $state := include "collector.persistent" . }}
---
apiVersion: apps/v1
{{- /* With persistence, a StatefulSet: each pod keeps its name (so its place on the load balancers'
     hash ring, see the umbrella README) and its own volume across restarts and rollouts. */}}
kind: {{ ternary "StatefulSet" "Deployment" (eq $state "true") }}
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
spec:
  {{- if not (and $v.autoscaling $v.autoscaling.enabled) }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      {{- include "collector.selectorLabels" . | nindent 6 }}
  {{- if $state }}
  serviceName: {{ include "collector.headlessName" . }}
  {{- /* scaling creates and removes pods at once; a rollout still replaces one pod at a time,
       highest ordinal first, each after the previous one is Ready */}}
  podManagementPolicy: Parallel
  updateStrategy:
    type: RollingUpdate
  {{- with $v.persistence.persistentVolumeClaimRetentionPolicy }}
  persistentVolumeClaimRetentionPolicy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- else }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "collector.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/part-of: mirador
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A config change (values, or a sibling enabled/disabled) changes this hash and rolls the pods.
        checksum/config: {{ .config | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "collector.fullname" . }}
      automountServiceAccountToken: {{ .rbac }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      containers:
        - name: otelcol
          image: {{ include "collector.image" . }}
          imagePullPolicy: {{ include "collector.pullPolicy" . }}
          {{- with $v.command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          args:
            - --config=/etc/mirador/config/relay.yaml
            {{- with $v.extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            - name: MY_POD_IP
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: status.podIP
            {{- with .gomemlimit }}
            - name: GOMEMLIMIT
              value: {{ . | quote }}
            {{- end }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: otlp-grpc
              containerPort: {{ $v.ports.otlpGrpc }}
              protocol: TCP
            - name: otlp-http
              containerPort: {{ $v.ports.otlpHttp }}
              protocol: TCP
            - name: metrics
              containerPort: {{ $v.ports.metrics }}
              protocol: TCP
            - name: health
              containerPort: {{ $v.ports.healthCheck }}
              protocol: TCP
          livenessProbe:
            httpGet:
              path: {{ .healthPath }}
              port: health
            {{- toYaml $v.livenessProbe | nindent 12 }}
          readinessProbe:
            httpGet:
              path: {{ .healthPath }}
              port: health
            {{- toYaml $v.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/mirador/config
              readOnly: true
            {{- if $v.persistentQueue.enabled }}
            - name: queue
              mountPath: {{ $v.persistentQueue.directory }}
            {{- end }}
            {{- if $state }}
            - name: state
              mountPath: {{ $v.persistence.directory }}
            {{- end }}
            {{- if .tlsSecret }}
            - name: tls
              mountPath: {{ .tlsMountPath }}
              readOnly: true
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "collector.fullname" . }}
            items:
              - key: relay.yaml
                path: relay.yaml
        {{- if $v.persistentQueue.enabled }}
        - name: queue
          {{- if $v.persistentQueue.volume }}
          {{- toYaml $v.persistentQueue.volume | nindent 10 }}
          {{- else }}
          emptyDir:
            sizeLimit: {{ $v.persistentQueue.sizeLimit }}
          {{- end }}
        {{- end }}
        {{- with .tlsSecret }}
        - name: tls
          secret:
            secretName: {{ . }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      {{- /* a constraint without labelSelector spreads this component's own pods */}}
      {{- $selector := dict "matchLabels" (include "collector.selectorLabels" $ | fromYaml) }}
      topologySpreadConstraints:
        {{- range . }}
        - {{- toYaml (merge (deepCopy .) (dict "labelSelector" $selector)) | nindent 10 }}
        {{- end }}
      {{- end }}
  {{- if $state }}
  {{- $p := $v.persistence }}
  volumeClaimTemplates:
    - metadata:
        name: state
        labels:
          {{- include "collector.selectorLabels" . | nindent 10 }}
      spec:
        accessModes:
          {{- toYaml $p.accessModes | nindent 10 }}
        {{- if not (kindIs "invalid" $p.storageClassName) }}
        storageClassName: {{ $p.storageClassName | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ $p.size }}
  {{- end }}
{{- end -}}
