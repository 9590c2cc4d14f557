#!/usr/bin/env bash
# The operator benchmark (docs/benchmarks.md, issue 18): on a fresh local control plane (API audit log on) with
# N/4 simulated nodes x 4 A30 at 2x1g.6gb+1x2g.12gb (the default strict simulator), measures the floor (2N plain
# pods bound and Ready, no operator), then the operator as the chart runs it (values.yaml's javaOpts, the memory
# limit as -XX:MaxRAM): idle RSS with 10 deployments, N deployments x 2 replicas of mixed profiles (time to
# bound and Ready against the floor, peak RSS, API requests per reconcile, plans), 60 s of steady state (requests,
# writes), and a burst of 200 created, scaled to 3 and deleted. Prints a summary and the raw JSON, which it also
# writes to docs/bench-results/operator-N-<time>.json.
#
#   hack/bench-operator.sh [N]      (default: 1000: 250 nodes, 2,000 replica pods; about 30-40 min on 2 cores)
#
# QUARTET_BENCH_OPERATOR_JVM_EXTRA adds JVM options to the operator's (e.g. -XX:StartFlightRecording=...);
# QUARTET_SIM_FLAGS changes the simulator (default --strict; issue 17 wants benchmarks on the strict one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export QUARTET_CLUSTER_DIR=$ROOT/target/bench-cluster
./mvnw -o -B -q -ntp -pl operator -am package -DskipTests
hack/local-cluster.sh down >/dev/null 2>&1 || true
hack/local-cluster.sh up --no-sim --audit-log
trap 'hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT
. hack/lib.sh
# the build above is current; the dependency plugin leaves an unchanged classpath file's time alone, which would
# make operator_test_classpath build everything a second time
touch operator/target/test-classpath.txt
CP=$(operator_test_classpath "$ROOT")
cd operator
QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig QUARTET_AUDIT_LOG=$QUARTET_CLUSTER_DIR/logs/audit.log \
KUBECACHEDIR=$ROOT/target/kube-cache QUARTET_BENCH_RESULTS=$ROOT/docs/bench-results \
QUARTET_BENCH_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . || echo "-dirty") \
  java -Xmx1g -cp "$CP" dev.quartet.it.OperatorBench "$@"
