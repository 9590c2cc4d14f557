#!/usr/bin/env bash
# Quartet's demo on this machine: a real Kubernetes control plane with simulated A30 nodes, the Helm
# chart's CRD and RBAC, the operator, the examples, the GPU layout, and a real inference answer.
#
#   hack/demo.sh          build what is missing, run everything, leave it running
#   hack/demo.sh --exit   the same, print a summary, then tear everything down
#   hack/demo.sh down     stop a demo left running
#
# Only the GPU is simulated: replicas are real worker processes (the Quartet worker with DJL) started by
# the simulated kubelet on the slice the simulated device plugin gave them. A step that fails says which,
# with the command and the last lines of its log.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. hack/lib.sh
fail_loudly demo
export QUARTET_CLUSTER_DIR=${QUARTET_DEMO_DIR:-$ROOT/target/demo}
LOGS=$ROOT/target/demo-logs
DEMO_NS=${QUARTET_DEMO_NAMESPACE:-default}
OPERATOR_NS=quartet-system
EXIT=false
started=$SECONDS

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '[demo] %s\n' "$*" >&2; exit 1; }

# The operator runs in its own process group (setsid): stopping waits until none of it is left.
stop_operator() {
  local pidfile=$LOGS/operator.pid
  if [ -f "$pidfile" ]; then
    wait_pgroup_gone "$(cat "$pidfile")" 10 || true
    rm -f "$pidfile"
  fi
}

teardown() {
  stop_operator
  hack/local-cluster.sh down >/dev/null 2>&1 || hack/local-cluster.sh down
}

case "${1:-}" in
  --exit) EXIT=true ;;
  down) teardown; echo "demo stopped"; exit 0 ;;
  "") ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

# 1. Build what is missing (a cold build downloads Maven dependencies; later runs skip it).
say "Building Quartet (operator, worker, simulator) where missing"
if [ ! -f operator/target/quarkus-app/quarkus-run.jar ] || [ ! -f worker-image/target/quarkus-app/quarkus-run.jar ] \
   || [ ! -f sim/target/quartet-gpu-sim.jar ] || [ ! -f operator/target/test-classpath.txt ]; then
  step "Debian packages (gcc for the fake NVML)" "$LOGS/packages.log" hack/local-cluster.sh packages
  step "build (./mvnw package -DskipTests)" "$LOGS/build.log" ./mvnw -B -ntp package -DskipTests
fi

# 2. The control plane and two simulated nodes with four A30 GPUs each, every GPU at 4x1g.6gb.
say "Starting a local Kubernetes control plane with 2 simulated nodes x 4 A30 GPUs"
hack/local-cluster.sh down >/dev/null 2>&1 || true
$EXIT && trap teardown EXIT
# Each worker is a JVM: the first 8 replicas run as real worker processes, the rest as simulated
# containers (the priority example alone asks for 36).
step "control plane and simulated nodes (hack/local-cluster.sh up)" "$LOGS/cluster-up.log" \
  env QUARTET_SIM_MAX_WORKER_PROCESSES="${QUARTET_SIM_MAX_WORKER_PROCESSES:-8}" \
  hack/local-cluster.sh up --nodes 2 --gpus-per-node 4 --gpu-model A30 --layout 4x1g.6gb \
  --worker-processes --worker-model-root "$ROOT/worker-image/models"
export KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig
# the kubectl of the control plane's own release
PATH=$(dirname "$(readlink "$QUARTET_CLUSTER_DIR/kubectl")"):$PATH
kubectl version | sed -n 's/^Server Version: /Kubernetes server version: /p'
kubectl get nodes -L nvidia.com/gpu.product,nvidia.com/mig.config,nvidia.com/mig.config.state

# 3. The Helm chart: CRD, ServiceAccount, least-privilege RBAC (the operator runs as a local process).
say "Installing the Helm chart's CRD and RBAC into $OPERATOR_NS"
CP=$(operator_test_classpath "$ROOT")
step "install the chart's CRD and RBAC (dev.quartet.helm.DemoInstall)" "$LOGS/chart-install.log" \
  env QUARTET_KUBECONFIG="$KUBECONFIG" KUBECACHEDIR="$QUARTET_CLUSTER_DIR/kube-cache" \
  java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$CP" dev.quartet.helm.DemoInstall \
  "$OPERATOR_NS" "$QUARTET_CLUSTER_DIR/operator.env"

# 4. The operator, with exactly the chart's environment and ServiceAccount.
say "Starting the Quartet operator (log: $LOGS/operator.log)"
stop_operator
mkdir -p "$LOGS"
(
  set -a; . "$QUARTET_CLUSTER_DIR/operator.env"; set +a
  export QUARTET_MIG_MANAGER_NAMESPACE=gpu-operator QUARTET_MIG_MANAGER_CONFIG_MAP_NAME=default-mig-parted-config
  export QUARTET_AUTOSCALING_SIMULATOR_WORKER_URLS=true
  # The simulator's MIG Manager sees the ConfigMap 2 s late (a real node's mounted copy: 60-90 s, the chart's
  # default 90s wait); the demo waits a little longer than its simulator.
  export QUARTET_MIG_MANAGER_CONFIG_PROPAGATION_DELAY=3s
  export QUARTET_HTTP_PORT=0 JAVA_TOOL_OPTIONS="-Xmx192m -XX:+UseSerialGC"
  setsid java -jar operator/target/quarkus-app/quarkus-run.jar >"$LOGS/operator.log" 2>&1 < /dev/null &
  echo $! >"$LOGS/operator.pid"
)

wait_ready() { # name ready-count timeout
  local deadline=$((SECONDS + $3))
  until [ "$(kubectl -n "$DEMO_NS" get infd "$1" -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = "$2" ]; do
    if [ $SECONDS -ge $deadline ]; then
      kubectl -n "$DEMO_NS" get infd "$1" -o yaml | sed -n '/^status:/,$p' >&2
      echo "[demo] last lines of the operator log ($LOGS/operator.log):" >&2
      tail -n 20 "$LOGS/operator.log" | sed 's/^/    /' >&2
      die "step failed: wait for $1 to have $2 Ready replicas (not after $3 s)"
    fi
    pgroup_gone "$(cat "$LOGS/operator.pid")" && { tail -n 30 "$LOGS/operator.log" | sed 's/^/    /' >&2; die "step failed: the operator exited (log: $LOGS/operator.log)"; }
    sleep 2
  done
}

# 5. The examples, one after the other.
say "Applying examples/resnet-torchscript-1g.yaml (4 x 1g.6gb, TorchScript)"
kubectl -n "$DEMO_NS" apply -f examples/resnet-torchscript-1g.yaml
wait_ready resnet 4 300
say "Applying examples/ocr-onnx-by-memory.yaml (memoryGiB: 10 -> 2g.12gb: Quartet repartitions a free GPU)"
kubectl -n "$DEMO_NS" apply -f examples/ocr-onnx-by-memory.yaml
wait_ready ocr 2 300
say "Applying examples/movable-repartition.yaml (a whole A30: 4g.24gb)"
kubectl -n "$DEMO_NS" apply -f examples/movable-repartition.yaml
wait_ready summarizer 1 300
say "Applying examples/priority-competition.yaml (36 replicas asked for the 20 slices left)"
kubectl -n "$DEMO_NS" apply -f examples/priority-competition.yaml
wait_ready fraud-online 12 400
sleep 5

# 6. What a user wants to see.
say "kubectl get infd -o wide"
kubectl -n "$DEMO_NS" get infd -o wide
say "The GPUs: which slices, which replica on each (bin/kubectl-quartet layout)"
QUARTET_MIG_MANAGER_NAMESPACE=gpu-operator bin/kubectl-quartet layout
say "Why batch-scoring is short (its Degraded condition)"
kubectl -n "$DEMO_NS" get infd batch-scoring \
  -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'

say "A real inference request to a resnet replica (Open Inference Protocol v2)"
pod=$(kubectl -n "$DEMO_NS" get pods -l inference.quartet.dev/deployment=resnet -o jsonpath='{.items[0].metadata.name}')
url=$(kubectl -n "$DEMO_NS" get pod "$pod" -o jsonpath='{.metadata.annotations.sim\.quartet\.dev/worker-url}')
slice=$(kubectl -n "$DEMO_NS" get pod "$pod" -o jsonpath='{.metadata.annotations.quartet\.dev/mig-device}')
echo "replica $pod on slice $slice, worker at $url"
data=$(awk 'BEGIN { for (i = 0; i < 3072; i++) printf "%s%.4f", (i ? "," : ""), (i % 97) / 97.0 }')
request='{"inputs":[{"name":"image","datatype":"FP32","shape":[1,3,32,32],"data":['"$data"']}]}'
echo "POST $url/v2/models/resnet/infer  (one 3x32x32 image)"
answer=$(curl -sS -f -H 'Content-Type: application/json' -d "$request" "$url/v2/models/resnet/infer") \
  || die "step failed: the inference request to $url (worker logs: $QUARTET_CLUSTER_DIR/logs/workers)"
echo "$answer" | jq -c '{model_name, outputs: [.outputs[] | {name, datatype, shape, data: (.data[0:5])}]}'
echo "(the first 5 of the 10 logits shown)"

elapsed=$((SECONDS - started))
if $EXIT; then
  say "Summary"
  kubectl -n "$DEMO_NS" get infd --no-headers | awk '{printf "  %-14s ready=%-6s replicas=%-6s profile=%s\n", $1, $2, $3, $4}'
  echo "  inference answered by $pod ($(echo "$answer" | jq -r '.outputs[0].name'): $(echo "$answer" | jq -c '.outputs[0].data[0:3]'))"
  echo "  demo took ${elapsed} s; tearing everything down"
  exit 0
fi
say "The demo keeps running (${elapsed} s so far)"
cat <<EOF
  export KUBECONFIG=$KUBECONFIG PATH=$(dirname "$(readlink "$QUARTET_CLUSTER_DIR/kubectl")"):\$PATH
  kubectl get infd                        # the deployments
  bin/kubectl-quartet layout              # the GPUs (QUARTET_MIG_MANAGER_NAMESPACE=gpu-operator)
  kubectl scale infd resnet --replicas=6  # watch Quartet place two more replicas
  hack/demo.sh down                       # stop everything
EOF
