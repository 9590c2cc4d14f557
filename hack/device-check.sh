#!/usr/bin/env bash
# On a machine with NVIDIA GPUs: runs the node agent's NVML reader once (dev.quartet.agent.nvml.NvmlReport, the JNA
# bindings the agent uses) and compares what it found with `nvidia-smi -L` (GPU and MIG device UUIDs, profile names)
# and `nvidia-smi mig -lgi` (GPU instances: profile id, instance id, placement). Prints both; exits 1 where they
# disagree. Run as root (NVML lists GPU instances only to a privileged caller). NVML_LIBRARY overrides the library.
set -euo pipefail
cd "$(dirname "$0")/.."
app=node-agent/target/quarkus-app
[ -f "$app/quarkus-run.jar" ] || ./mvnw -B -q -pl node-agent -am package -DskipTests >&2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

java -cp "$app/app/*:$app/lib/main/*" dev.quartet.agent.nvml.NvmlReport "${NVML_LIBRARY:-libnvidia-ml.so.1}" \
    > "$work/agent.txt"
nvidia-smi -L > "$work/smi-L.txt"
nvidia-smi mig -lgi > "$work/smi-lgi.txt" 2>&1 || true   # fails when no GPU has MIG on: then it lists nothing
{
    sed -n 's/^GPU \([0-9]*\): .*(UUID: \(GPU-[^)]*\))$/gpu \1 \2/p' "$work/smi-L.txt"
    awk '/^GPU /{g=$2; sub(/:$/, "", g)} /^ +MIG /{u=$0; sub(/.*UUID: /, "", u); sub(/\).*/, "", u); print "mig", g, $2, u}' \
        "$work/smi-L.txt"
    awk '$1 == "|" && $3 == "MIG" && $7 ~ /^[0-9]+:[0-9]+$/ {print "gi", $2, $5, $6, $7}' "$work/smi-lgi.txt"
} | sort > "$work/smi.txt"
grep -v '^#' "$work/agent.txt" | sort > "$work/agent-facts.txt"

echo "== the agent's NVML reader"; cat "$work/agent.txt"
echo "== nvidia-smi -L"; cat "$work/smi-L.txt"
echo "== nvidia-smi mig -lgi"; cat "$work/smi-lgi.txt"
if diff -u --label nvidia-smi --label agent "$work/smi.txt" "$work/agent-facts.txt"; then
    echo "device-check: the agent and nvidia-smi agree ($(wc -l < "$work/smi.txt") facts)"
else
    echo "device-check: the agent and nvidia-smi DISAGREE (lines above: - nvidia-smi only, + agent only)" >&2
    exit 1
fi
