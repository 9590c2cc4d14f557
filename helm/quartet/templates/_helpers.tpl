{{/* Chart name, overridable with nameOverride. */}}
{{- define "quartet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every object name: fullnameOverride, else <release>-<chart name>, or the release name when it
already contains the chart name. Kept to 46 characters so that suffixes such as "-workloads" still fit
in 63.
*/}}
{{- define "quartet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 46 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 46 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 46 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart label value: name-version. */}}
{{- define "quartet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "quartet.labels" -}}
helm.sh/chart: {{ include "quartet.chart" . }}
{{ include "quartet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: quartet
{{- end }}

{{/* Labels that select the operator pods (never change them across upgrades: selectors are immutable). */}}
{{- define "quartet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "quartet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "quartet.serviceAccountName" -}}
{{- include "quartet.fullname" . }}
{{- end }}

{{/* Operator image reference. */}}
{{- define "quartet.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Default worker image: workerImage, else the worker of the same appVersion. */}}
{{- define "quartet.workerImage" -}}
{{- .Values.workerImage | default (printf "ghcr.io/quartet-dev/quartet-worker:%s" .Chart.AppVersion) }}
{{- end }}

{{/* Name of the Lease through which one operator replica leads. */}}
{{- define "quartet.leaseName" -}}
{{- printf "%s-leader" (include "quartet.fullname" .) }}
{{- end }}

{{/* The Secret with the webhook's serving certificate. */}}
{{- define "quartet.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "quartet.fullname" .) }}
{{- end }}

{{/* The webhook Service's DNS names, comma-separated. */}}
{{- define "quartet.webhookServiceHosts" -}}
{{- $svc := printf "%s-webhook.%s.svc" (include "quartet.fullname" .) .Release.Namespace -}}
{{- printf "%s,%s.cluster.local" $svc $svc }}
{{- end }}

{{/* Every name the serving certificate is for: the Service's, and the host of webhook.url when set. */}}
{{- define "quartet.webhookHosts" -}}
{{- $hosts := include "quartet.webhookServiceHosts" . -}}
{{- if .Values.webhook.url -}}
{{- $host := (urlParse .Values.webhook.url).host | trimPrefix "[" -}}
{{- $host = regexReplaceAll "\\]?(:[0-9]+)?$" $host "" -}}
{{- printf "%s,%s" $host $hosts }}
{{- else -}}
{{- $hosts }}
{{- end }}
{{- end }}

{{/* The node agent's ServiceAccount (its own: it patches pods and nodes, the operator never needs to). */}}
{{- define "quartet.nodeAgentName" -}}
{{- printf "%s-node-agent" (include "quartet.fullname" .) }}
{{- end }}

{{/* Labels that select the node agent's pods. */}}
{{- define "quartet.nodeAgentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "quartet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node-agent
{{- end }}

{{/* Node agent image reference. */}}
{{- define "quartet.nodeAgentImage" -}}
{{- printf "%s:%s" .Values.nodeAgent.image.repository (.Values.nodeAgent.image.tag | default .Chart.AppVersion) }}
{{- end }}
