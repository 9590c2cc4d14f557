#!/usr/bin/env bash
# Node agent memory: the packaged agent (node-agent/target/quarkus-app) as its own process, with the JVM options the
# chart gives it, on a node made of doubles (node-agent's AgentHarness: fabric8's API server double, a PodResources
# server on a unix socket, the fake NVML with 4 A30s at 4x1g.6gb and one pod per slice). Prints its resident set size
# (VmRSS) sampled every second once every pod is annotated (docs/benchmarks.md, "Node agent").
# Usage: hack/bench-agent.sh [SECONDS (default 30)] [JVM options (default: the chart's)]
set -euo pipefail
export MALLOC_ARENA_MAX=2   # as the chart sets it
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=${1:-30}
shift || true
# the chart's agent JVM options (helm/quartet/values.yaml, nodeAgent.javaOptions)
jvm=("$@")
[ ${#jvm[@]} -gt 0 ] || jvm=(-Xmx32m -Xss512k -XX:MaxMetaspaceSize=64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=24m -XX:MaxDirectMemorySize=16m -Dio.netty.allocator.type=unpooled)
./mvnw -B -q -pl node-agent -am package -DskipTests >&2
classpath="node-agent/target/test-classes:node-agent/target/classes:$(cat node-agent/target/test-classpath.txt)"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
exec java -cp "$classpath" dev.quartet.agent.AgentHarness "$root/node-agent/target/quarkus-app" \
    "$root/node-agent/target/fake-nvml/libnvidia-ml.so.1" "$seconds" "${jvm[@]}"
