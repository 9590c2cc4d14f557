#!/usr/bin/env bash
# A real local Kubernetes control plane (etcd, kube-apiserver, kube-scheduler, kube-controller-manager
# and kubectl of one pinned release, built with Go from the Go module proxy) on loopback, plus
# Quartet's GPU node simulator playing GFD, device plugin, MIG Manager and kubelet.
#
#   hack/local-cluster.sh up [--nodes N] [--gpus-per-node G] [--gpu-model A30|A100-40GB|A100-80GB|H100-80GB|H200-141GB]
#                            [--layout 4x1g.6gb|1x4g.24gb|2x1g.6gb+1x2g.12gb|none] [--no-sim]
#                            [--worker-processes [--worker-model-root DIR]] [--audit-log] [--dra] [--state-dir DIR]
#                            [simulator strictness: --strict (default) | --realistic | --gentle, --device-choice C, --seed N,
#                             --operand-shutdown STOP,UP, --config-file-lag D, --finish-apply-in-flight,
#                             --state-shortcuts, --apply M, --mig-mode-change M, --reboot-duration D,
#                             --reconfigure-delay D] [--no-agent-nodes N1,N2] [--agent-event-delay D]
#   hack/local-cluster.sh down   [--state-dir DIR]
#   hack/local-cluster.sh status [--state-dir DIR]
#   hack/local-cluster.sh build          # only build (or find) the binaries; prints their directory
#   hack/local-cluster.sh packages       # only install the Debian packages the build and the cluster need
#   hack/local-cluster.sh kubeconfig [--state-dir DIR]   # print the kubeconfig path
#
# Environment: QUARTET_K8S_VERSION (default 1.36.3; a directory of that name must exist under
# hack/kubernetes/), QUARTET_CLUSTER_DIR (state, default ${TMPDIR:-/tmp}/quartet-cluster-$UID),
# QUARTET_CACHE_DIR (binary cache, default ${XDG_CACHE_HOME:-~/.cache}/quartet),
# QUARTET_SIM_JAVA_OPTS (JVM options of the simulator). Docs: docs/local-cluster.md
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$REPO_ROOT/hack/lib.sh"
fail_loudly local-cluster

K8S_VERSION=${QUARTET_K8S_VERSION:-1.36.3}
K8S_MODULE=$REPO_ROOT/hack/kubernetes/$K8S_VERSION
ETCD_MODULE=$REPO_ROOT/hack/etcd
CACHE_DIR=${QUARTET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quartet}
STATE_DIR=${QUARTET_CLUSTER_DIR:-${TMPDIR:-/tmp}/quartet-cluster-$(id -u)}
# gcc and libc6-dev compile the fake NVML (node-agent/src/fake-nvml) during the Maven build
APT_PACKAGES=(openssl curl jq gcc libc6-dev)
COMPONENTS=(etcd kube-apiserver kube-scheduler kube-controller-manager simulator)

log() { printf '[local-cluster] %s\n' "$*" >&2; }
die() { printf '[local-cluster] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it yourself or run as root)"; fi
}

ensure_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  step "apt-get update" "$CACHE_DIR/logs/apt.log" as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  step "apt-get install ${missing[*]}" "$CACHE_DIR/logs/apt.log" \
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# The cache key is the release plus a hash of its build module, so a changed go.sum rebuilds.
module_hash() { cat "$@" | sha256sum | cut -c1-12; }
[ -d "$K8S_MODULE" ] || die "no build module for Kubernetes $K8S_VERSION in hack/kubernetes/ (have: $(cd "$REPO_ROOT/hack/kubernetes" && ls -d 1.* | tr '\n' ' '); hack/kubernetes/new-version.sh writes one)"
BIN_DIR=$CACHE_DIR/kubernetes-$K8S_VERSION-$(module_hash "$K8S_MODULE"/go.mod "$K8S_MODULE"/go.sum "$K8S_MODULE"/tools.go)/bin
ETCD_VERSION=$(sed -n 's#^require go.etcd.io/etcd/server/v3 v\(.*\)$#\1#p' "$ETCD_MODULE/go.mod")
ETCD_BIN=$CACHE_DIR/etcd-$ETCD_VERSION-$(module_hash "$ETCD_MODULE"/go.mod "$ETCD_MODULE"/go.sum "$ETCD_MODULE"/main.go)/bin/etcd

kubernetes_present() {
  for b in kube-apiserver kube-scheduler kube-controller-manager kubectl; do [ -x "$BIN_DIR/$b" ] || return 1; done
}

binaries_present() { kubernetes_present && [ -x "$ETCD_BIN" ] && [ -L "$BIN_DIR/etcd" ]; }

ensure_go() {
  command -v go >/dev/null || die "Go is needed to build the control plane (go.mod asks for $(sed -n 's/^go //p' "$K8S_MODULE/go.mod") or newer; a Go of 1.21 or later fetches that toolchain from the Go module proxy by itself)"
}

# go_build LOG OUT_DIR MODULE_DIR PACKAGE...: a static, trimmed build in the module's directory.
go_build() {
  local log=$1 out=$2 dir=$3; shift 3
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w ${LDFLAGS:-}" -o "$out/" "$@") >"$log" 2>&1
}

build_binaries() {
  ensure_packages
  if binaries_present; then log "control-plane binaries cached in $BIN_DIR"; return 0; fi
  ensure_go
  mkdir -p "$CACHE_DIR/logs"
  local started=$SECONDS minor=${K8S_VERSION#1.}; minor=${minor%%.*}
  if [ ! -x "$ETCD_BIN" ]; then
    log "building etcd $ETCD_VERSION from the Go module proxy (one-off)"
    rm -rf "$(dirname "$ETCD_BIN").tmp"
    step "build etcd $ETCD_VERSION" "$CACHE_DIR/logs/build-etcd.log" \
      go_build "$CACHE_DIR/logs/build-etcd.log" "$(dirname "$ETCD_BIN").tmp" "$ETCD_MODULE" .
    rm -rf "$(dirname "$ETCD_BIN")"; mv "$(dirname "$ETCD_BIN").tmp" "$(dirname "$ETCD_BIN")"
  fi
  if ! kubernetes_present; then
    log "building kube-apiserver, kube-controller-manager, kube-scheduler and kubectl $K8S_VERSION from the Go module proxy (one-off, 6-10 min on 2 cores)"
    rm -rf "$BIN_DIR.tmp"
    # the version the binaries report (/version, kubectl version): what Kubernetes' own build stamps
    LDFLAGS="-X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 \
-X k8s.io/client-go/pkg/version.gitMinor=$minor" \
      step "build Kubernetes $K8S_VERSION" "$CACHE_DIR/logs/build-kubernetes-$K8S_VERSION.log" \
      go_build "$CACHE_DIR/logs/build-kubernetes-$K8S_VERSION.log" "$BIN_DIR.tmp" "$K8S_MODULE" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
    rm -rf "$BIN_DIR"; mkdir -p "$(dirname "$BIN_DIR")"; mv "$BIN_DIR.tmp" "$BIN_DIR"
  fi
  ln -sfn "$ETCD_BIN" "$BIN_DIR/etcd"
  log "built in $((SECONDS - started)) s into $BIN_DIR"
}

free_port() {
  python3 - <<'EOF' 2>/dev/null || shuf -i 20000-45000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
EOF
}

# alive = exists and is not a zombie (components are reparented to init, which may reap them late)
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  case $(ps -o stat= -p "$1" 2>/dev/null) in Z*|'') return 1 ;; esac
}

# start NAME COMMAND...: runs COMMAND in its own session, records its pid and log.
start() {
  local name=$1; shift
  setsid "$@" >"$STATE_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$STATE_DIR/pids/$name.pid"
}

running_components() {
  local n
  for n in "${COMPONENTS[@]}"; do
    [ -f "$STATE_DIR/pids/$n.pid" ] && ! pgroup_gone "$(cat "$STATE_DIR/pids/$n.pid")" && echo "$n"
  done
  return 0
}

wait_for_api() {
  local port=$1 token=$2 deadline=$((SECONDS + 90))
  until curl -skf -H "Authorization: Bearer $token" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { tail -20 "$STATE_DIR/logs/kube-apiserver.log" >&2; die "API server did not become ready in 90 s"; }
    pid_alive "$(cat "$STATE_DIR/pids/kube-apiserver.pid")" || { tail -20 "$STATE_DIR/logs/kube-apiserver.log" >&2; die "kube-apiserver exited"; }
    sleep 0.5
  done
}

write_kubeconfig() {
  local port=$1 token=$2 file=$3
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: quartet-local
  cluster:
    server: https://127.0.0.1:$port
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $token
contexts:
- name: quartet-local
  context: {cluster: quartet-local, user: admin, namespace: default}
current-context: quartet-local
EOF
  chmod 600 "$file"
}

simulator_jar() { echo "$REPO_ROOT/sim/target/quartet-gpu-sim.jar"; }

ensure_simulator_jar() {
  local jar; jar=$(simulator_jar)
  if [ -f "$jar" ] && [ -z "$(find "$REPO_ROOT/sim/src/main" "$REPO_ROOT/sim/pom.xml" -newer "$jar" -print -quit)" ]; then
    return 0
  fi
  log "building the GPU node simulator (./mvnw -pl sim -am package)"
  (cd "$REPO_ROOT" && ./mvnw -B -q -pl sim -am package -DskipTests) || die "simulator build failed"
}

cmd_up() {
  local nodes=2 gpus=4 model=A30 layout="" sim=true worker_processes=false model_root="" audit=false
  local strictness=()
  while [ $# -gt 0 ]; do
    case $1 in
      # how strictly the simulator follows NVIDIA's stack (docs/local-cluster.md), passed on as they are
      --strict|--realistic|--gentle|--finish-apply-in-flight|--state-shortcuts) strictness+=("$1"); shift ;;
      --device-choice|--seed|--operand-shutdown|--config-file-lag|--apply|--mig-mode-change|--reboot-duration|--reconfigure-delay)
        [ $# -ge 2 ] || die "$1 needs a value"
        strictness+=("$1" "$2"); shift 2 ;;
      # the simulated nodes' agents (docs/local-cluster.md), passed on as they are
      --no-agent-nodes|--agent-event-delay)
        [ $# -ge 2 ] || die "$1 needs a value"
        strictness+=("$1" "$2"); shift 2 ;;
      --nodes) nodes=$2; shift 2 ;;
      --gpus-per-node) gpus=$2; shift 2 ;;
      --gpu-model) model=$2; shift 2 ;;
      --layout) layout=$2; shift 2 ;;
      --no-sim) sim=false; shift ;;
      --worker-processes) worker_processes=true; shift ;;
      --dra) strictness+=("$1"); shift ;;
      --worker-model-root) model_root=$2; shift 2 ;;
      --audit-log) audit=true; shift ;;
      *) die "unknown option for up: $1" ;;
    esac
  done
  [[ $nodes =~ ^[0-9]+$ ]] || die "--nodes must be a number, got '$nodes'"
  [[ $gpus =~ ^[1-8]$ ]] || die "--gpus-per-node must be 1..8, got '$gpus'"
  case $model in A30|A100-40GB|A100-80GB|H100-80GB|H200-141GB) ;; *) die "--gpu-model must be one of A30, A100-40GB, A100-80GB, H100-80GB, H200-141GB, got '$model'" ;; esac

  local running; running=$(running_components)
  [ -z "$running" ] || die "a local cluster already runs from $STATE_DIR ($(echo $running)); run '$0 down' first"

  build_binaries
  $sim && ensure_simulator_jar
  rm -rf "$STATE_DIR"; mkdir -p "$STATE_DIR"/{pids,logs,certs,etcd}
  # a failed up stops what it started (logs stay in $STATE_DIR/logs for diagnosis)
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "up failed; stopping what it started"; stop_components; fi' EXIT
  local started=$SECONDS
  local pe pp pa token
  pe=$(free_port); pp=$(free_port); pa=$(free_port)
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$token,admin,admin,system:masters" >"$STATE_DIR/tokens.csv"
  openssl genrsa -out "$STATE_DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE_DIR/sa.key" -pubout -out "$STATE_DIR/sa.crt" 2>/dev/null
  local kc=$STATE_DIR/kubeconfig
  write_kubeconfig "$pa" "$token" "$kc"
  # the kubectl of the same release, beside the kubeconfig (tests and scripts use this one)
  ln -sfn "$BIN_DIR/kubectl" "$STATE_DIR/kubectl"
  echo "$pa" >"$STATE_DIR/apiserver.port"

  start etcd "$BIN_DIR/etcd" --name quartet --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$pe" --advertise-client-urls "http://127.0.0.1:$pe" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "quartet=http://127.0.0.1:$pp" --listen-metrics-urls "" \
    --quota-backend-bytes 2147483648
  local audit_args=()
  if $audit; then
    # Every request's metadata (who, verb, resource, stage) as JSON lines: benchmarks count API calls with it.
    printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n' >"$STATE_DIR/audit-policy.yaml"
    audit_args=(--audit-policy-file="$STATE_DIR/audit-policy.yaml" --audit-log-path="$STATE_DIR/logs/audit.log"
      --audit-log-format=json --audit-log-maxsize=0)
  fi
  # DRA partitionable devices (KEP-4815: shared counters, consumesCounters), which NVIDIA's DRA driver needs for
  # DynamicMIG: beta and on by default from 1.36; alpha before, so turned on for the API server and the scheduler.
  local gates=()
  local k8s_minor=${K8S_VERSION#1.}; k8s_minor=${k8s_minor%%.*}
  if [ "$k8s_minor" -lt 36 ]; then gates=(--feature-gates=DRAPartitionableDevices=true); fi
  start kube-apiserver "$BIN_DIR/kube-apiserver" --etcd-servers="http://127.0.0.1:$pe" \
    --secure-port="$pa" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --cert-dir="$STATE_DIR/certs" --token-auth-file="$STATE_DIR/tokens.csv" \
    --authorization-mode=RBAC --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$STATE_DIR/sa.crt" --service-account-signing-key-file="$STATE_DIR/sa.key" \
    --service-cluster-ip-range=10.0.0.0/16 --endpoint-reconciler-type=none \
    --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
    --allow-privileged=false --v=0 "${audit_args[@]+"${audit_args[@]}"}" "${gates[@]+"${gates[@]}"}"
  wait_for_api "$pa" "$token"
  log "API server ready after $((SECONDS - started)) s"
  start kube-scheduler "$BIN_DIR/kube-scheduler" --kubeconfig="$kc" --bind-address=127.0.0.1 \
    --secure-port=0 --leader-elect=false "${gates[@]+"${gates[@]}"}"
  start kube-controller-manager "$BIN_DIR/kube-controller-manager" --kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false \
    --service-account-private-key-file="$STATE_DIR/sa.key" --root-ca-file="$STATE_DIR/certs/apiserver.crt" \
    --use-service-account-credentials=false --controllers='*' \
    --node-monitor-grace-period=40s
  if $sim; then
    local args=(--kubeconfig "$kc" --nodes "$nodes" --gpus-per-node "$gpus" --gpu-model "$model")
    [ -n "$layout" ] && args+=(--layout "$layout")
    $worker_processes && args+=(--worker-processes --worker-jar "$REPO_ROOT/worker-image/target/quarkus-app/quarkus-run.jar"
                                --worker-log-dir "$STATE_DIR/logs/workers")
    [ -n "$model_root" ] && args+=(--worker-model-root "$model_root")
    args+=("${strictness[@]+"${strictness[@]}"}")
    # small-footprint JVM (about 150 MiB RSS for 50 nodes); override with QUARTET_SIM_JAVA_OPTS
    local jvm_opts=(${QUARTET_SIM_JAVA_OPTS:--Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:ReservedCodeCacheSize=32m})
    # run a copy, so rebuilding sim/ never pulls the jar from under a running simulator
    cp "$(simulator_jar)" "$STATE_DIR/quartet-gpu-sim.jar"
    start simulator java "${jvm_opts[@]}" -jar "$STATE_DIR/quartet-gpu-sim.jar" "${args[@]}"
    local deadline=$((SECONDS + 60))
    until [ "$(KUBECONFIG=$kc "$BIN_DIR/kubectl" get nodes -l quartet.dev/simulated=true --no-headers 2>/dev/null | grep -cw Ready)" -ge "$nodes" ]; do
      pid_alive "$(cat "$STATE_DIR/pids/simulator.pid")" || { tail -20 "$STATE_DIR/logs/simulator.log" >&2; die "the simulator exited"; }
      [ $SECONDS -lt $deadline ] || die "simulated nodes not Ready after 60 s (see $STATE_DIR/logs/simulator.log)"
      sleep 0.5
    done
  fi
  trap - EXIT
  log "up in $((SECONDS - started)) s; logs in $STATE_DIR/logs"
  echo "export KUBECONFIG=$kc PATH=$BIN_DIR:\$PATH"
}

# Stops every recorded component, newest first, by its recorded process group (so worker processes of
# the simulator stop too), and returns only when no process of any group is left.
stop_components() {
  local n pid reversed=() rc=0
  for n in "${COMPONENTS[@]}"; do reversed=("$n" "${reversed[@]}"); done
  for n in "${reversed[@]}"; do
    [ -f "$STATE_DIR/pids/$n.pid" ] || continue
    pid=$(cat "$STATE_DIR/pids/$n.pid")
    pgroup_gone "$pid" && continue
    local t0=$SECONDS
    # Each component was started with setsid, so its pid is also its process group.
    wait_pgroup_gone "$pid" 10 || rc=1
    log "stopped $n (pid $pid) in $((SECONDS - t0)) s"
  done
  return $rc
}

cmd_down() {
  [ -d "$STATE_DIR" ] || { log "nothing to stop ($STATE_DIR does not exist)"; return 0; }
  stop_components
  rm -rf "$STATE_DIR"
}

cmd_status() {
  if [ ! -d "$STATE_DIR/pids" ]; then echo "no local cluster ($STATE_DIR)"; return 1; fi
  local n pid rc=0
  for n in "${COMPONENTS[@]}"; do
    [ -f "$STATE_DIR/pids/$n.pid" ] || { printf '%-24s not started\n' "$n"; continue; }
    pid=$(cat "$STATE_DIR/pids/$n.pid")
    if pid_alive "$pid"; then printf '%-24s running (pid %s)\n' "$n" "$pid"; else printf '%-24s DEAD (pid %s; see %s)\n' "$n" "$pid" "$STATE_DIR/logs/$n.log"; rc=1; fi
  done
  echo "export KUBECONFIG=$STATE_DIR/kubeconfig"
  return $rc
}

main() {
  local cmd=${1:-}; [ $# -gt 0 ] && shift
  local rest=()
  while [ $# -gt 0 ]; do
    case $1 in
      --state-dir) STATE_DIR=$(realpath -m -- "$2"); shift 2 ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  case $cmd in
    up) cmd_up "${rest[@]+"${rest[@]}"}" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    build) build_binaries; echo "$BIN_DIR" ;;
    packages) ensure_packages ;;
    kubeconfig) echo "$STATE_DIR/kubeconfig" ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; [ -z "$cmd" ] || [ "$cmd" = help ] || [ "$cmd" = -h ] || exit 2 ;;
  esac
}

main "$@"
