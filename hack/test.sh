#!/usr/bin/env bash
# Runs every test of the project, fast ones first:
#   1. the build's own checks and every unit test (format, enforcer rules, architecture rules, planner,
#      worker, chart templates, CRD drift): no cluster needed, so a mistake fails in minutes;
#   2. the worker as users' clients see it: NVIDIA's tritonclient (from PyPI, pinned in
#      hack/python/requirements.txt) against the packaged worker, answers checked against ONNX Runtime;
#   3. a real local control plane (Kubernetes of the default release, built once from Go modules) and the
#      tests that need it (*IT: the operator end to end on simulated GPU nodes, the chart, the examples);
#   4. the container images (operator, worker, node agent): built offline with Jib (hack/images.sh), each run
#      from its unpacked archive as the chart runs it (read-only root filesystem; non-root, the node agent as
#      uid 0 with no capability), against the same control plane;
#   5. the compatibility job: the examples and repartition ITs on the oldest Kubernetes release Quartet
#      supports (README, "Requirements").
# It installs what it needs (Debian packages, the control-plane build, Maven downloads). Each step that
# fails says which, with the command and the last lines of its log.
#
#   hack/test.sh [extra Maven arguments]
#   QUARTET_SKIP_COMPAT=true hack/test.sh   # without step 5 (the default release only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. hack/lib.sh
fail_loudly test
started=$SECONDS
LOGS=$ROOT/target/test-logs
export STEP_ECHO=true
OLDEST_K8S=1.34.4
# The ITs steps run only the ITs: surefire selects no unit test.
ONLY_ITS=(-Dtest=NoUnitTestsInThisStep -Dsurefire.failIfNoSpecifiedTests=false)

# One control plane per step: every test JVM attaches to it through QUARTET_KUBECONFIG.
export QUARTET_CLUSTER_DIR=${QUARTET_CLUSTER_DIR:-$ROOT/target/test-cluster}
# Helm (embedded by helm-java in tests) and kubectl keep their discovery cache inside the checkout.
export KUBECACHEDIR=$ROOT/target/kube-cache
cluster_up() {
    step "control plane $1: build" "$LOGS/cluster-build-$1.log" env QUARTET_K8S_VERSION="$1" hack/local-cluster.sh build
    hack/local-cluster.sh down >/dev/null 2>&1 || true
    step "control plane $1: up" "$LOGS/cluster-up-$1.log" env QUARTET_K8S_VERSION="$1" hack/local-cluster.sh up --no-sim
    export QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig
    PATH=$(dirname "$(readlink "$QUARTET_CLUSTER_DIR/kubectl")"):$PATH
}
trap 'hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT

# Debian packages first: the unit-test build compiles the fake NVML with gcc.
step "Debian packages" "$LOGS/packages.log" hack/local-cluster.sh packages
t=$SECONDS
step "checks and unit tests" "$LOGS/unit.log" ./mvnw -B -ntp verify -DskipITs "$@"
echo "[test] checks and unit tests passed in $((SECONDS - t)) s"

t=$SECONDS
PYTHON=$(hack/python-env.sh)
step "client tests (tritonclient against the packaged worker)" "$LOGS/python-clients.log" \
    "$PYTHON" -m pytest -q -p no:cacheprovider worker-image/src/test/python
echo "[test] client tests passed in $((SECONDS - t)) s"

t=$SECONDS
cluster_up 1.36.3
step "integration tests on Kubernetes 1.36.3" "$LOGS/it.log" ./mvnw -B -ntp verify "${ONLY_ITS[@]}" "$@"
echo "[test] integration tests passed in $((SECONDS - t)) s"

t=$SECONDS
step "images: build them offline and run each as the chart does" "$LOGS/images.log" hack/images.sh --test
echo "[test] images built and tested in $((SECONDS - t)) s"

if [ "${QUARTET_SKIP_COMPAT:-false}" != true ]; then
    t=$SECONDS
    cluster_up "$OLDEST_K8S"
    step "compatibility: examples and repartitions on Kubernetes $OLDEST_K8S" "$LOGS/compat.log" \
        ./mvnw -B -ntp verify "${ONLY_ITS[@]}" -pl operator -am -Dit.test='ExamplesIT,RepartitionIT' \
        -Dit.failIfNoSpecifiedTests=false "$@"
    echo "[test] compatibility job on $OLDEST_K8S passed in $((SECONDS - t)) s"
fi

echo "[test] all tests passed in $((SECONDS - started)) s"
