#!/usr/bin/env bash
# MIG planner benchmark: plan time and plan quality of Quartet's planner against a first-fit placer and a
# start-slot-ignoring multiset packer, on the same generated scenarios (docs/benchmarks.md, "MIG planner").
# Each row also shows a lower bound on the stranded slices of any plan placing that row's replicas
# (StrandingBound: an LP relaxation solved with ojAlgo). Raw results (every row, machine, load average, commit,
# settings) go to docs/bench-results/planner-<UTC time>.json.
# Usage: hack/bench-planner.sh [SCENARIO]   (a30-10n, a30-100n, a30-1000n, a30-1000n-oversubscribed,
#                                             mixed-1000n; default: all)
# Offline (no network for Maven): MAVEN_ARGS=-o hack/bench-planner.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p .bench
./mvnw -B -q -pl operator -am test-compile dependency:build-classpath -DincludeScope=test \
  -Dmdep.outputFile="$root/.bench/planner-classpath.txt" >&2
classpath="operator/target/test-classes:operator/target/classes:$(cat .bench/planner-classpath.txt)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- operator nvidia pom.xml hack || echo '+changes')"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $load, $(java -version 2>&1 | head -1), commit $commit"
exec java -Xms2g -Xmx2g -XX:+UseParallelGC -cp "$classpath" dev.quartet.planner.PlannerBenchmark "$@" \
  --results="docs/bench-results/planner-$(date -u +%Y-%m-%dT%H%M%SZ).json" --load-at-start="$load" --commit="$commit"
