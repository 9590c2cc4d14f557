#!/usr/bin/env bash
# MIG planner benchmark: plan time and plan quality of Quartet's planner against a first-fit placer and a
# start-slot-ignoring multiset packer, on the same generated scenarios (docs/benchmarks.md, "MIG planner").
# Usage: hack/bench-planner.sh [SCENARIO]   (a30-10n, a30-100n, a30-1000n, a30-1000n-oversubscribed,
#                                             mixed-1000n; default: all)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p .bench
./mvnw -B -q -pl operator -am test-compile dependency:build-classpath -DincludeScope=test \
  -Dmdep.outputFile="$root/.bench/planner-classpath.txt" >&2
classpath="operator/target/test-classes:operator/target/classes:$(cat .bench/planner-classpath.txt)"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
exec java -Xms2g -Xmx2g -XX:+UseParallelGC -cp "$classpath" dev.quartet.planner.PlannerBenchmark "$@"
