#!/usr/bin/env bash
# Runs Quartet's image archives the way the Helm chart (operator, node agent) and ReplicaPodFactory (worker) run
# them, with no container runtime, and checks them:
#
#   hack/images/test-images.sh [ARCHIVE...]      default: target/images/quartet-{operator,worker,node-agent}-<version>.tar
#
# Each image's layers are unpacked in order with whiteouts applied (go-containerregistry's mutate.Extract, through
# hack/tools/image-archive), and its entrypoint + cmd start as its config says: its user (which must be a
# non-root uid, as runAsNonRoot needs), working directory and environment, in a chroot of the unpacked
# filesystem mounted read-only (readOnlyRootFilesystem) with a writable /tmp (the pods' emptyDir), its own
# /proc and /dev and a PID namespace, no new privileges (allowPrivilegeEscalation: false), no capabilities
# (a non-root uid keeps none). The network is the host's: each process gets a free port on 127.0.0.1.
#
#   worker   serves worker-image/models' tiny-resnet from /models, once with ONNX Runtime and once with
#            libtorch (the read-only copy in /opt/djl/pytorch): /q/health/ready turns 200, one Open Inference
#            Protocol request (POST /v2/models/tiny-resnet/infer) is answered, and both engines give the same
#            logits; everything it wrote is under /tmp and owned by the image's user.
#   operator starts with the in-cluster configuration a pod gets (KUBERNETES_SERVICE_HOST/PORT and a
#            ServiceAccount token, CA and namespace in /var/run/secrets/kubernetes.io/serviceaccount), the
#            chart's environment, and the CRD applied; /q/health/live and /q/health/ready turn 200 and it
#            takes its leader-election Lease. The ServiceAccount is bound to cluster-admin here: the chart's
#            least-privilege RBAC is tested by HelmChartIT, not here.
#   node     the node agent as the chart's DaemonSet runs it: in-cluster configuration of a ServiceAccount bound
#   agent    to a ClusterRole with the chart's rules, its node's name (QUARTET_AGENT_NODE_NAME, the downward API's
#            spec.nodeName), uid 0 with no capability (runAsUser: 0, drop ALL: here the image's own setpriv drops
#            them after the chroot), the kubelet's pod-resources directory mounted read-only with a PodResources
#            socket in it (PodResourcesDouble from node-agent's test classes, serving one pod holding one MIG
#            device), and the fake NVML (node-agent/target/fake-nvml) mounted where the NVIDIA container runtime
#            puts libnvidia-ml.so.1 in a Debian image, /usr/lib/x86_64-linux-gnu, with a state of one A30 at
#            4x1g.6gb (QUARTET_FAKE_NVML_STATE, the fake's own variable). JNA must find the library by name on
#            the image's default library path: the node gets quartet.dev/mig-layout and quartet.dev/mig-profiles
#            with that GPU, the pod quartet.dev/mig-device with its device, and the process holds no capability.
#            Not checked here: the real NVIDIA runtime (its mounts, its ldconfig hook, whether it works with a
#            read-only root), real NVML, a real kubelet's socket and its permissions, the memory limit (no cgroup).
#            The API server is QUARTET_KUBECONFIG's (hack/test.sh runs one); without it this script starts
#            one with hack/local-cluster.sh and stops it at the end. The node agent's check needs node-agent's
#            build output (target/quarkus-app is in the image; target/test-classes, test-classpath.txt and
#            fake-nvml are not), which hack/images.sh leaves there.
#
# Needs root (mount and PID namespaces, chroot). Exits non-zero, naming the image and the check, on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
. hack/lib.sh
. hack/images/common.sh
fail_loudly images

CACHE_DIR=${QUARTET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quartet}
WORK=$ROOT/target/images/test
READY_TIMEOUT=${QUARTET_IMAGE_READY_TIMEOUT:-180}

[ "$(id -u)" -eq 0 ] || die "the image test needs root (mount and PID namespaces, chroot)"
command -v jq >/dev/null || die "jq is needed (apt-get install jq)"
if [ $# -eq 0 ]; then
  version=$(awk '/<artifactId>quartet-parent<\/artifactId>/ { p = 1 }
                 p && /<version>/ { gsub(/.*<version>|<\/version>.*/, ""); print; exit }' pom.xml)
  set -- target/images/quartet-operator-$version.tar target/images/quartet-worker-$version.tar \
    target/images/quartet-node-agent-$version.tar
fi
for archive in "$@"; do [ -f "$archive" ] || die "no image archive $archive: build it with hack/images.sh"; done

started=$SECONDS
rm -rf "$WORK"; mkdir -p "$WORK"
TOOL=$(image_archive_tool "$CACHE_DIR" "$WORK")

pids=() host_pids=() k8s_cleanup=()
cluster_dir=
cleanup() {
  local pid command
  for pid in "${host_pids[@]+"${host_pids[@]}"}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]+"${pids[@]}"}"; do
    kill -0 "$pid" 2>/dev/null || continue
    # unshare ignores SIGTERM: end the image's process, then unshare returns
    kill -KILL $(ps -o pid= --ppid "$pid") 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  for command in "${k8s_cleanup[@]+"${k8s_cleanup[@]}"}"; do $command >/dev/null 2>&1 || true; done
  if [ -n "$cluster_dir" ]; then QUARTET_CLUSTER_DIR=$cluster_dir hack/local-cluster.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

fail() { printf '[images] FAILED %s: %s\n' "$CURRENT" "$*" >&2; exit 1; }

# unpack ARCHIVE DIR: the image's filesystem, as root, owners and modes as in the layers.
unpack() {
  mkdir -p "$2"
  "$TOOL" export "$1" | tar -x -C "$2" --numeric-owner --same-permissions --same-owner --warning=no-unknown-keyword \
    || fail "cannot unpack $1"
}

# image_user ROOTFS USER: "uid gid" of the config's User ("uid", "uid:gid", or names from the image's files).
image_user() {
  local rootfs=$1 user=$2 uid gid
  [ -n "$user" ] || fail "the image sets no User: it would run as root"
  uid=${user%%:*}; gid=${user#*:}; [ "$gid" = "$user" ] && gid=
  if ! [[ $uid =~ ^[0-9]+$ ]]; then
    fail "User '$user' is not numeric: Kubernetes cannot check runAsNonRoot for a user name"
  fi
  [ "$uid" -ne 0 ] || fail "the image runs as root (User '$user')"
  if [ -z "$gid" ]; then gid=$(awk -F: -v u="$uid" '$3 == u { print $4; exit }' "$rootfs/etc/passwd"); fi
  [[ ${gid:-x} =~ ^[0-9]+$ ]] || gid=$(awk -F: -v g="$gid" '$1 == g { print $3; exit }' "$rootfs/etc/group")
  [[ ${gid:-x} =~ ^[0-9]+$ ]] || fail "cannot resolve the group of User '$user'"
  echo "$uid $gid"
}

# in_root ROOT PATH: where PATH is in the unpacked ROOT as the image sees it: symlinks (absolute ones too, such
# as Debian's /var/run -> /run) are followed inside ROOT, never into the host's filesystem.
in_root() {
  local root=$1 out= comp link hops=0
  local -a todo parts
  IFS=/ read -ra todo <<<"${2#/}"
  while [ ${#todo[@]} -gt 0 ]; do
    comp=${todo[0]}; todo=("${todo[@]:1}")
    case $comp in ''|.) continue ;; ..) out=${out%/*}; continue ;; esac
    if [ -L "$root$out/$comp" ]; then
      hops=$((hops + 1)); [ $hops -le 40 ] || fail "too many symlinks resolving $2 in the image"
      link=$(readlink "$root$out/$comp")
      [[ $link == /* ]] && out=
      IFS=/ read -ra parts <<<"${link#/}"
      todo=("${parts[@]}" "${todo[@]+"${todo[@]}"}")
    else
      out=$out/$comp
    fi
  done
  echo "$root${out:-}"
}

# start_image NAME ARCHIVE ENV_FILE [SRC:TARGET...]: unpacks ARCHIVE, starts its entrypoint + cmd in the
# background as described above, with the image's environment plus ENV_FILE's lines (NAME=value), and the
# host directories (or files) SRC mounted read-only at TARGET. RUN_AS=uid:gid, when set, replaces the image's user
# (a pod's runAsUser); uid 0 then runs with no capability (drop ALL), through the image's setpriv after the chroot.
# Sets POD_TMP (the host side of its /tmp), POD_PID (to stop it with stop_image) and IMAGE_UID.
start_image() {
  local name=$1 archive=$2 env_file=$3; shift 3
  local dir=$WORK/$name rootfs=$WORK/$name/rootfs config ids
  [ ! -e "$dir" ] || fail "$dir exists: two runs of one image under the same name"
  unpack "$archive" "$rootfs"
  config=$("$TOOL" config "$archive") || fail "cannot read the config of $archive"
  ids=$(image_user "$rootfs" "$(jq -r '.config.User // ""' <<<"$config")")
  if [ -n "${RUN_AS:-}" ]; then ids="${RUN_AS%%:*} ${RUN_AS#*:}"; fi
  local uid=${ids% *} gid=${ids#* } workdir
  workdir=$(jq -r '.config.WorkingDir // "/"' <<<"$config"); [ -n "$workdir" ] || workdir=/
  local -a env cmd
  mapfile -t env < <(jq -r '.config.Env // [] | .[]' <<<"$config")
  mapfile -t cmd < <(jq -r '(.config.Entrypoint // []) + (.config.Cmd // []) | .[]' <<<"$config")
  [ ${#cmd[@]} -gt 0 ] || fail "the image has neither Entrypoint nor Cmd"
  local line; while IFS= read -r line; do [ -n "$line" ] && env+=("$line"); done <"$env_file"
  log "$name: user $uid:$gid, working directory $workdir, command ${cmd[*]}"

  # What a runtime does before it makes the root read-only: create mount points (inside the image's
  # filesystem), and the pod's emptyDir for /tmp (mode 0777 plus the sticky bit, as the image's /tmp).
  POD_TMP=$dir/pod-tmp
  mkdir -p "$POD_TMP" && chmod 1777 "$POD_TMP"
  local -a mounts=("$POD_TMP:$(in_root "$rootfs" /tmp)") spec target
  for spec in "$@"; do
    target=$(in_root "$rootfs" "${spec#*:}")
    if [ -f "${spec%%:*}" ]; then mkdir -p "$(dirname "$target")"; touch "$target"; else mkdir -p "$target"; fi
    mounts+=("${spec%%:*}:$target")
  done
  local -a drop=()
  if [ "$uid" -eq 0 ]; then
    [ -x "$(in_root "$rootfs" /usr/bin/setpriv)" ] || fail "uid 0 needs the image's /usr/bin/setpriv to drop capabilities"
    drop=(/usr/bin/setpriv --inh-caps=-all --bounding-set=-all --)
  fi
  local proc dev
  proc=$(in_root "$rootfs" /proc) dev=$(in_root "$rootfs" /dev)
  [ -d "$proc" ] && [ -d "$dev" ] || fail "the image has no /proc or /dev directory"
  # The first mount (/tmp) stays writable; the others are read-only, and so is the root.
  unshare --mount --propagation private --pid --fork --kill-child -- bash -c '
    set -e
    root=$1 proc=$2 dev=$3 uid=$4 gid=$5 wd=$6 nenv=$7; shift 7
    env=("${@:1:nenv}"); shift "$nenv"
    nmounts=$1; shift; mounts=("${@:1:nmounts}"); shift "$nmounts"
    mount --bind "$root" "$root"
    mount -t proc proc "$proc"
    mount -t tmpfs -o mode=755,size=1m tmpfs "$dev"
    for d in null zero full random urandom tty; do touch "$dev/$d"; mount --bind "/dev/$d" "$dev/$d"; done
    mkdir "$dev/shm"; mount -t tmpfs -o mode=1777,size=64m tmpfs "$dev/shm"
    first=true
    for m in "${mounts[@]}"; do
      mount --bind "${m%%:*}" "${m#*:}"
      $first || mount -o remount,bind,ro "${m#*:}"
      first=false
    done
    mount -o remount,bind,ro "$root"
    exec env -i "${env[@]}" setpriv --no-new-privs -- \
      unshare --root="$root" --wd="$wd" --setgid="$gid" --setuid="$uid" -- "$@"
  ' start "$rootfs" "$proc" "$dev" "$uid" "$gid" "$workdir" "${#env[@]}" "${env[@]}" "${#mounts[@]}" "${mounts[@]}" \
    "${drop[@]+"${drop[@]}"}" "${cmd[@]}" >"$dir/log" 2>&1 &
  POD_PID=$!
  STARTED_ROOTFS=$rootfs
  pids+=("$POD_PID")
  IMAGE_UID=$uid
}

# await_http PID LOG URL: waits until URL answers 200, or fails with the end of LOG.
await_http() {
  local pid=$1 logfile=$2 url=$3 deadline=$((SECONDS + READY_TIMEOUT)) code=000
  while [ $SECONDS -lt $deadline ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
    [ "$code" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || { tail -40 "$logfile" | sed 's/^/    /' >&2; fail "the process exited before $url answered"; }
    sleep 1
  done
  tail -40 "$logfile" | sed 's/^/    /' >&2
  fail "$url answered $code, not 200, after ${READY_TIMEOUT} s"
}

# stop_image PID: SIGTERM to the image's process (PID 1 of its namespace; unshare itself ignores SIGTERM), as
# the kubelet sends it; it must exit within the pods' 30 s grace period, else it is killed and this fails.
stop_image() {
  local pid=$1 child i
  child=$(ps -o pid= --ppid "$pid" | tr -d ' ' | head -1)
  [ -n "$child" ] || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$child" 2>/dev/null || true
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$child" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    fail "the process did not exit within 30 s of SIGTERM"
  fi
  local status=0; wait "$pid" 2>/dev/null || status=$?
  log "$CURRENT: exited with status $status after SIGTERM"
  rm -rf "$STARTED_ROOTFS"   # the unpacked image (GBs); its log and /tmp stay under target/images/test
}

# ---- worker -----------------------------------------------------------------------------------------------
test_worker() {
  local archive=$1 answers=() model format
  local data request
  data=$(awk 'BEGIN { for (i = 0; i < 3072; i++) printf "%s%.4f", (i ? "," : ""), (i % 97) / 97.0 }')
  request='{"inputs":[{"name":"image","datatype":"FP32","shape":[1,3,32,32],"data":['"$data"']}]}'
  for model in tiny-resnet.onnx tiny-resnet.pt; do
    CURRENT="worker image $(basename "$archive"), model /models/$model"
    case $model in *.onnx) format=onnx ;; *) format=torchscript ;; esac
    local port grpc_port; port=$(free_port); grpc_port=$(free_port)
    # The environment ReplicaPodFactory gives a replica (batching values: the CRD's defaults); no device plugin
    # here, so no NVIDIA_VISIBLE_DEVICES: the CPU is the device and CPU fallback does not come into play.
    cat >"$WORK/worker.env" <<EOF
QUARTET_MODEL_URI=file:///models/$model
QUARTET_MODEL_NAME=tiny-resnet
QUARTET_MODEL_FORMAT=$format
QUARTET_BATCHING_MAX_BATCH_SIZE=8
QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS=5
QUARTET_BATCHING_QUEUE_LIMIT=64
QUARTET_ENGINE_ALLOW_CPU_FALLBACK=false
QUARTET_REPLICA_DEPLOYMENT=image-test
QUARTET_REPLICA_MIG_PROFILE=1g.6gb
QUARKUS_HTTP_PORT=$port
QUARKUS_GRPC_SERVER_PORT=$grpc_port
EOF
    local t0=$SECONDS
    local name; name=$(basename "$archive" .tar)-$format
    start_image "$name" "$archive" "$WORK/worker.env"
    local logfile=$WORK/$name/log
    await_http "$POD_PID" "$logfile" "http://127.0.0.1:$port/q/health/ready"
    local answer
    answer=$(curl -sf --max-time 30 -H 'Content-Type: application/json' -d "$request" \
      "http://127.0.0.1:$port/v2/models/tiny-resnet/infer") || fail "POST /v2/models/tiny-resnet/infer failed"
    jq -e '.model_name == "tiny-resnet" and (.outputs[0].name == "logits") and (.outputs[0].shape == [1, 10])
           and (.outputs[0].data | length == 10)' <<<"$answer" >/dev/null \
      || fail "unexpected inference answer: $answer"
    answers+=("$answer")
    grep -q "Model tiny-resnet ready" "$logfile" || fail "the worker never logged that the model is ready"
    stop_image "$POD_PID"
    # Read-only root: whatever it wrote is in /tmp, as the image's user.
    local foreign; foreign=$(find "$POD_TMP" -mindepth 1 ! -uid "$IMAGE_UID" -print -quit)
    [ -z "$foreign" ] || fail "$foreign in /tmp is not owned by the image's user"
    log "$CURRENT: ready and answered in $((SECONDS - t0)) s; wrote $(du -sh "$POD_TMP" | cut -f1) to /tmp" \
      "($(find "$POD_TMP" -type f | wc -l) files)"
  done
  CURRENT="worker image $(basename "$archive")"
  jq -en --argjson a "${answers[0]}" --argjson b "${answers[1]}" '
    [$a.outputs[0].data, $b.outputs[0].data] | transpose | all(((.[0] - .[1]) | fabs) < 1e-4)' >/dev/null \
    || fail "ONNX Runtime and libtorch disagree: $(jq -c '.outputs[0].data' <<<"${answers[0]}") vs $(jq -c '.outputs[0].data' <<<"${answers[1]}")"
  log "$CURRENT: passed (ONNX Runtime and libtorch give the same logits: $(jq -c '.outputs[0].data[0:3]' <<<"${answers[0]}")...)"
}

# ---- operator ---------------------------------------------------------------------------------------------
# use_cluster: sets KUBECONFIG_FILE to QUARTET_KUBECONFIG's cluster, or to one it starts (stopped on exit).
use_cluster() {
  [ -z "${KUBECONFIG_FILE:-}" ] || return 0
  if [ -n "${QUARTET_KUBECONFIG:-}" ]; then
    [ -f "$QUARTET_KUBECONFIG" ] || die "QUARTET_KUBECONFIG=$QUARTET_KUBECONFIG does not exist"
    KUBECONFIG_FILE=$QUARTET_KUBECONFIG; return
  fi
  cluster_dir=$WORK/cluster
  log "QUARTET_KUBECONFIG is not set: starting a local control plane (hack/local-cluster.sh up --no-sim)"
  timed_step "local control plane" "$WORK/local-cluster.log" \
    env QUARTET_CLUSTER_DIR="$cluster_dir" hack/local-cluster.sh up --no-sim
  KUBECONFIG_FILE=$cluster_dir/kubeconfig
}

# connect_cluster: use_cluster, then sets K (kubectl with its kubeconfig) and API_PORT.
connect_cluster() {
  use_cluster
  local kc=$KUBECONFIG_FILE
  # the kubectl of the control plane's release, beside its kubeconfig (hack/local-cluster.sh), else PATH's
  local kubectl=kubectl; [ -x "$(dirname "$kc")/kubectl" ] && kubectl=$(dirname "$kc")/kubectl
  K=("$kubectl" --kubeconfig "$kc")
  local server; server=$("${K[@]}" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  [[ $server =~ ^https://127\.0\.0\.1:([0-9]+)$ ]] || fail "expected an API server on https://127.0.0.1:PORT, got $server"
  API_PORT=${BASH_REMATCH[1]}
}

# service_account_volume NS SA DIR: what the kubelet projects into a pod of ServiceAccount NS/SA, in DIR: a bound
# token, the cluster's CA (the kube-root-ca.crt ConfigMap of every namespace) and the namespace.
service_account_volume() {
  local ns=$1 sa=$2 sadir=$3 i
  mkdir -p "$sadir"
  "${K[@]}" -n "$ns" create token "$sa" --duration=1h >"$sadir/token" || fail "cannot create a token for $ns/$sa"
  for i in $(seq 1 60); do
    "${K[@]}" -n "$ns" get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' >"$sadir/ca.crt" 2>/dev/null || true
    [ -s "$sadir/ca.crt" ] && break; sleep 0.5
  done
  [ -s "$sadir/ca.crt" ] || fail "no kube-root-ca.crt ConfigMap in $ns after 30 s"
  printf '%s' "$ns" >"$sadir/namespace"
  chmod 755 "$sadir"; chmod 644 "$sadir"/*
}

test_operator() {
  local archive=$1
  CURRENT="operator image $(basename "$archive")"
  connect_cluster
  local k=("${K[@]}") api_port=$API_PORT
  local ns=quartet-image-test-$RANDOM$RANDOM sa=quartet-operator
  "${k[@]}" apply -f crds/ >/dev/null || fail "cannot apply the CRD"
  "${k[@]}" create namespace "$ns" >/dev/null || fail "cannot create namespace $ns"
  k8s_cleanup+=("${k[*]} delete clusterrolebinding $ns" "${k[*]} delete namespace $ns --wait=false")
  "${k[@]}" -n "$ns" create serviceaccount "$sa" >/dev/null
  "${k[@]}" create clusterrolebinding "$ns" --clusterrole=cluster-admin --serviceaccount="$ns:$sa" >/dev/null
  local sadir=$WORK/operator-serviceaccount
  service_account_volume "$ns" "$sa" "$sadir"
  local i

  local port; port=$(free_port)
  local java_opts; java_opts=$(sed -n 's/^javaOpts: "\(.*\)"$/\1/p' helm/quartet/values.yaml)
  # The chart's environment (helm/quartet/templates/deployment.yaml), the in-cluster variables every pod
  # gets, and an HTTP port of its own (the pod's network is the host's here).
  cat >"$WORK/operator.env" <<EOF
KUBERNETES_SERVICE_HOST=127.0.0.1
KUBERNETES_SERVICE_PORT=$api_port
POD_NAME=quartet-image-test
POD_NAMESPACE=$ns
QUARTET_LEADER_ELECTION_LEASE_NAME=quartet-image-test-leader
QUARTET_MIG_MANAGER_NAMESPACE=$ns
QUARTET_LOG_LEVEL=INFO
JAVA_TOOL_OPTIONS=$java_opts
QUARKUS_HTTP_PORT=$port
EOF
  local t0=$SECONDS
  local name; name=$(basename "$archive" .tar)
  start_image "$name" "$archive" "$WORK/operator.env" "$sadir:/var/run/secrets/kubernetes.io/serviceaccount"
  local logfile=$WORK/$name/log
  await_http "$POD_PID" "$logfile" "http://127.0.0.1:$port/q/health/live"
  await_http "$POD_PID" "$logfile" "http://127.0.0.1:$port/q/health/ready"
  local holder=
  for i in $(seq 1 60); do
    holder=$("${k[@]}" -n "$ns" get lease quartet-image-test-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
    [ -n "$holder" ] && break; sleep 0.5
  done
  [[ $holder == quartet-image-test* ]] || { tail -40 "$logfile" | sed 's/^/    /' >&2; fail "the operator did not take its Lease (holder '$holder')"; }
  stop_image "$POD_PID"
  local foreign; foreign=$(find "$POD_TMP" -mindepth 1 ! -uid "$IMAGE_UID" -print -quit)
  [ -z "$foreign" ] || fail "$foreign in /tmp is not owned by the image's user"
  log "$CURRENT: passed (live, ready and leading after $((SECONDS - t0)) s, in-cluster configuration)"
}

# ---- node agent -------------------------------------------------------------------------------------------
test_node_agent() {
  local archive=$1
  CURRENT="node agent image $(basename "$archive")"
  local fake_nvml=$ROOT/node-agent/target/fake-nvml/libnvidia-ml.so.1 classpath_file=$ROOT/node-agent/target/test-classpath.txt
  [ -f "$fake_nvml" ] && [ -f "$classpath_file" ] && [ -d "$ROOT/node-agent/target/test-classes" ] \
    || fail "node-agent's build output is missing (fake NVML, test classes): build it with hack/images.sh"
  connect_cluster
  local k=("${K[@]}")
  local ns=quartet-image-test-$RANDOM$RANDOM sa=quartet-node-agent
  local node=$ns-gpu-node pod=replica-0
  local gpu=GPU-00000000-0000-0000-0000-00000000a300 device=MIG-00000000-0000-0000-0002-00000000a300
  "${k[@]}" create namespace "$ns" >/dev/null || fail "cannot create namespace $ns"
  k8s_cleanup+=("${k[*]} delete clusterrolebinding $ns" "${k[*]} delete clusterrole $ns"
    "${k[*]} delete node $node --wait=false" "${k[*]} delete namespace $ns --wait=false")
  "${k[@]}" -n "$ns" create serviceaccount "$sa" >/dev/null
  # the chart's rules for the agent (helm/quartet/templates/node-agent.yaml; HelmChartIT checks them there)
  "${k[@]}" create clusterrole "$ns" --verb=get,list,watch,patch --resource=pods,nodes >/dev/null
  "${k[@]}" create clusterrolebinding "$ns" --clusterrole="$ns" --serviceaccount="$ns:$sa" >/dev/null
  # A node with no kubelet and a pod bound to it that never runs: objects for the agent to annotate.
  "${k[@]}" apply -f - >/dev/null <<EOF || fail "cannot create node $node and pod $ns/$pod"
apiVersion: v1
kind: Node
metadata:
  name: $node
---
apiVersion: v1
kind: Pod
metadata: {namespace: $ns, name: $pod}
spec:
  nodeName: $node
  serviceAccountName: $sa
  automountServiceAccountToken: false
  containers: [{name: worker, image: registry.invalid/quartet-worker:none}]
EOF
  local sadir=$WORK/node-agent-serviceaccount
  service_account_volume "$ns" "$sa" "$sadir"

  # The kubelet's pod-resources directory with its socket: the pod holds GPU 0's 1g.6gb at start 2.
  local kubelet_dir=$WORK/node-agent-kubelet
  mkdir -p "$kubelet_dir"
  java -cp "$ROOT/node-agent/target/test-classes:$ROOT/node-agent/target/classes:$(cat "$classpath_file")" \
    dev.quartet.agent.PodResourcesDouble "$kubelet_dir/kubelet.sock" "$ns/$pod/worker/nvidia.com/mig-1g.6gb/$device" \
    >"$WORK/pod-resources.log" 2>&1 &
  host_pids+=($!)
  local i
  for i in $(seq 1 60); do [ -S "$kubelet_dir/kubelet.sock" ] && break; sleep 0.5; done
  [ -S "$kubelet_dir/kubelet.sock" ] || { cat "$WORK/pod-resources.log" >&2; fail "the PodResources double did not serve"; }

  # What the fake NVML answers (node-agent/src/fake-nvml/fake_nvml.c): one A30 at 4x1g.6gb, a process on slot 2.
  local nvml_dir=$WORK/node-agent-nvml
  mkdir -p "$nvml_dir"
  cat >"$nvml_dir/state" <<EOF
gpu 0 $gpu 24576 1 1 NVIDIA A30
profile 0 0 14 1 4 14 6144 0:1,1:1,2:1,3:1
profile 0 1 5 2 2 28 12288 0:2,2:2
profile 0 3 0 4 1 56 24576 0:4
profile 0 7 21 1 1 14 6144 0:1,1:1,2:1,3:1
profile 0 8 6 2 1 28 12288 0:2,2:2
gi 0 1 14 0 1
mig 0 0 1 0 MIG-00000000-0000-0000-0000-00000000a300 -
gi 0 2 14 1 1
mig 0 1 2 0 MIG-00000000-0000-0000-0001-00000000a300 -
gi 0 3 14 2 1
mig 0 2 3 0 $device 4242
gi 0 4 14 3 1
mig 0 3 4 0 MIG-00000000-0000-0000-0003-00000000a300 -
EOF
  chmod -R a+rX "$nvml_dir" "$kubelet_dir"

  local java_opts resync
  java_opts=$(awk '/^nodeAgent:/ { a = 1; next } a && /^[^ #]/ { a = 0 }
                   a && /^  javaOpts: / { sub(/^  javaOpts: "/, ""); sub(/"$/, ""); print; exit }' helm/quartet/values.yaml)
  [ -n "$java_opts" ] || fail "cannot read nodeAgent.javaOpts from helm/quartet/values.yaml"
  resync=$(awk '/^nodeAgent:/ { a = 1; next } a && /^  resyncInterval: / { print $2; exit }' helm/quartet/values.yaml)
  # The chart's environment (helm/quartet/templates/node-agent.yaml), the in-cluster variables every pod gets, and
  # the fake NVML's state file.
  cat >"$WORK/node-agent.env" <<EOF
KUBERNETES_SERVICE_HOST=127.0.0.1
KUBERNETES_SERVICE_PORT=$API_PORT
QUARTET_AGENT_NODE_NAME=$node
QUARTET_AGENT_POD_RESOURCES_SOCKET=/var/lib/kubelet/pod-resources/kubelet.sock
QUARTET_AGENT_RESYNC_INTERVAL=${resync:-30s}
QUARTET_LOG_LEVEL=INFO
NVIDIA_VISIBLE_DEVICES=all
NVIDIA_DRIVER_CAPABILITIES=utility
NVIDIA_MIG_MONITOR_DEVICES=all
MALLOC_ARENA_MAX=2
JAVA_TOOL_OPTIONS=$java_opts
QUARTET_FAKE_NVML_STATE=/run/quartet-fake-nvml/state
EOF
  local t0=$SECONDS
  local name; name=$(basename "$archive" .tar)
  RUN_AS=0:0 start_image "$name" "$archive" "$WORK/node-agent.env" \
    "$sadir:/var/run/secrets/kubernetes.io/serviceaccount" \
    "$kubelet_dir:/var/lib/kubelet/pod-resources" \
    "$nvml_dir:/run/quartet-fake-nvml" \
    "$fake_nvml:/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"
  local logfile=$WORK/$name/log

  local layout= device_annotation= deadline=$((SECONDS + READY_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    layout=$("${k[@]}" get node "$node" -o jsonpath='{.metadata.annotations.quartet\.dev/mig-layout}' 2>/dev/null || true)
    device_annotation=$("${k[@]}" -n "$ns" get pod "$pod" -o jsonpath='{.metadata.annotations.quartet\.dev/mig-device}' \
      2>/dev/null || true)
    [ -n "$layout" ] && [ -n "$device_annotation" ] && break
    kill -0 "$POD_PID" 2>/dev/null || { tail -40 "$logfile" | sed 's/^/    /' >&2; fail "the agent exited"; }
    sleep 1
  done
  [ -n "$layout" ] && [ -n "$device_annotation" ] || { tail -40 "$logfile" | sed 's/^/    /' >&2
    fail "no quartet.dev/mig-layout on node $node or no mig-device on pod $ns/$pod after ${READY_TIMEOUT} s"; }
  jq -e --arg gpu "$gpu" --arg device "$device" '
    .gpus | length == 1 and (.[0] | .uuid == $gpu and .product == "NVIDIA A30" and .migEnabled
      and ([.instances[] | .profile] == ["1g.6gb", "1g.6gb", "1g.6gb", "1g.6gb"])
      and ([.instances[] | .start] == [0, 1, 2, 3])
      and ([.instances[] | select(.uuid == $device) | .processes] == [1]))' <<<"$layout" >/dev/null \
    || fail "unexpected quartet.dev/mig-layout: $layout"
  local profiles
  profiles=$("${k[@]}" get node "$node" -o jsonpath='{.metadata.annotations.quartet\.dev/mig-profiles}')
  jq -e 'tostring | contains("1g.6gb")' <<<"$profiles" >/dev/null || fail "unexpected quartet.dev/mig-profiles: $profiles"
  jq -e --arg device "$device" '. == {gpu: 0, profile: "1g.6gb", start: 2, uuid: $device}' <<<"$device_annotation" \
    >/dev/null || fail "unexpected quartet.dev/mig-device on $ns/$pod: $device_annotation"
  # runAsUser 0 with every capability dropped: the agent's process holds none
  local child caps
  child=$(ps -o pid= --ppid "$POD_PID" | tr -d ' ' | head -1)
  caps=$(awk '/^Cap(Prm|Eff|Bnd):/ { printf "%s%s ", $1, $2 }' "/proc/$child/status")
  [ "$caps" = "CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 " ] \
    || fail "the agent runs with capabilities: $caps"
  stop_image "$POD_PID"
  local foreign; foreign=$(find "$POD_TMP" -mindepth 1 ! -uid "$IMAGE_UID" -print -quit)
  [ -z "$foreign" ] || fail "$foreign in /tmp is not owned by the agent's user"
  log "$CURRENT: passed (node layout and pod device written after $((SECONDS - t0)) s; NVML through JNA from" \
    "/usr/lib/x86_64-linux-gnu; uid 0 without capabilities)"
}

for archive in "$@"; do
  tag=$(tar -xOf "$archive" manifest.json | jq -r '.[0].RepoTags[0] // ""')
  CURRENT=$(basename "$archive")
  case ${tag%:*} in
    */quartet-worker) test_worker "$archive" ;;
    */quartet-operator) test_operator "$archive" ;;
    */quartet-node-agent) test_node_agent "$archive" ;;
    *) fail "unknown image $tag: no test for it" ;;
  esac
done
echo "[images] image test: $# passed, 0 failed in $((SECONDS - started)) s"
