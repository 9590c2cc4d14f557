#!/usr/bin/env bash
# The operator benchmark (docs/benchmarks.md): on a fresh local control plane (API audit log on) with 50
# simulated nodes x 4 A30 at 4x1g.6gb, creates 1, 50 and 200 InferenceDeployments of 2 replicas at once and
# prints the time until all replica pods are bound and all deployments Ready, the operator's peak RSS and
# its API requests per reconcile. The operator runs as in production: the packaged jar, the Helm chart's
# ServiceAccount and environment.
#
#   hack/bench-operator.sh [N ...]      (default: 1 50 200)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export QUARTET_CLUSTER_DIR=$ROOT/target/bench-cluster
./mvnw -B -q -ntp -pl operator -am package -DskipTests
hack/local-cluster.sh down >/dev/null 2>&1 || true
hack/local-cluster.sh up --no-sim --audit-log
trap 'hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT
. hack/lib.sh
CP=$(operator_test_classpath "$ROOT")
cd operator
QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig QUARTET_AUDIT_LOG=$QUARTET_CLUSTER_DIR/logs/audit.log \
KUBECACHEDIR=$ROOT/target/kube-cache \
  java -Xmx1g -cp "$CP" dev.quartet.it.OperatorBench "$@"
