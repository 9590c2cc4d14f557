#!/usr/bin/env bash
# Runs every test of the project: unit tests, the tests on a real local control plane with
# simulated GPU nodes, the worker's tests, the Helm chart's tests and the CRD drift check.
# It installs what it needs (Debian packages, the control-plane build, Maven downloads).
#
#   hack/test.sh [extra Maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
started=$SECONDS

# One control plane for the whole run: every test JVM attaches to it through QUARTET_KUBECONFIG.
export QUARTET_CLUSTER_DIR=${QUARTET_CLUSTER_DIR:-$ROOT/target/test-cluster}
hack/local-cluster.sh build >/dev/null
hack/local-cluster.sh down >/dev/null 2>&1 || true
hack/local-cluster.sh up --no-sim
trap 'hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT
export QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig
# Helm (embedded by helm-java in tests) and kubectl keep their discovery cache inside the checkout.
export KUBECACHEDIR=$ROOT/target/kube-cache

./mvnw -B -ntp verify "$@"

echo "[test] all tests passed in $((SECONDS - started)) s"
