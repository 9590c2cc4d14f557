#!/usr/bin/env bash
# Runs Quartet's image archives the way the Helm chart (operator) and ReplicaPodFactory (worker) run
# them, with no container runtime, and checks them:
#
#   hack/images/test-images.sh [ARCHIVE...]      default: target/images/quartet-{operator,worker}-<version>.tar
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
#            The API server is QUARTET_KUBECONFIG's (hack/test.sh runs one); without it this script starts
#            one with hack/local-cluster.sh and stops it at the end.
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
  set -- target/images/quartet-operator-$version.tar target/images/quartet-worker-$version.tar
fi
for archive in "$@"; do [ -f "$archive" ] || die "no image archive $archive: build it with hack/images.sh"; done

started=$SECONDS
rm -rf "$WORK"; mkdir -p "$WORK"
TOOL=$(image_archive_tool "$CACHE_DIR" "$WORK")

pids=() k8s_cleanup=()
cluster_dir=
cleanup() {
  local pid command
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
# host directories SRC mounted read-only at TARGET. Sets POD_TMP (the host side of its /tmp), POD_PID (to
# stop it with stop_image) and IMAGE_UID.
start_image() {
  local name=$1 archive=$2 env_file=$3; shift 3
  local dir=$WORK/$name rootfs=$WORK/$name/rootfs config ids
  [ ! -e "$dir" ] || fail "$dir exists: two runs of one image under the same name"
  unpack "$archive" "$rootfs"
  config=$("$TOOL" config "$archive") || fail "cannot read the config of $archive"
  ids=$(image_user "$rootfs" "$(jq -r '.config.User // ""' <<<"$config")")
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
    mkdir -p "$target"
    mounts+=("${spec%%:*}:$target")
  done
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
    "${cmd[@]}" >"$dir/log" 2>&1 &
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

test_operator() {
  local archive=$1
  CURRENT="operator image $(basename "$archive")"
  use_cluster
  local kc=$KUBECONFIG_FILE
  # the kubectl of the control plane's release, beside its kubeconfig (hack/local-cluster.sh), else PATH's
  local kubectl=kubectl; [ -x "$(dirname "$kc")/kubectl" ] && kubectl=$(dirname "$kc")/kubectl
  local k=("$kubectl" --kubeconfig "$kc")
  local server; server=$("${k[@]}" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  [[ $server =~ ^https://127\.0\.0\.1:([0-9]+)$ ]] || fail "expected an API server on https://127.0.0.1:PORT, got $server"
  local api_port=${BASH_REMATCH[1]}
  local ns=quartet-image-test-$RANDOM$RANDOM sa=quartet-operator
  "${k[@]}" apply -f crds/ >/dev/null || fail "cannot apply the CRD"
  "${k[@]}" create namespace "$ns" >/dev/null || fail "cannot create namespace $ns"
  k8s_cleanup+=("${k[*]} delete clusterrolebinding $ns" "${k[*]} delete namespace $ns --wait=false")
  "${k[@]}" -n "$ns" create serviceaccount "$sa" >/dev/null
  "${k[@]}" create clusterrolebinding "$ns" --clusterrole=cluster-admin --serviceaccount="$ns:$sa" >/dev/null
  # What the kubelet projects into a pod: a bound token of the ServiceAccount, the cluster's CA (the
  # kube-root-ca.crt ConfigMap of every namespace) and the namespace.
  local sadir=$WORK/operator-serviceaccount
  mkdir -p "$sadir"
  "${k[@]}" -n "$ns" create token "$sa" --duration=1h >"$sadir/token" || fail "cannot create a token for $ns/$sa"
  local i
  for i in $(seq 1 60); do
    "${k[@]}" -n "$ns" get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' >"$sadir/ca.crt" 2>/dev/null || true
    [ -s "$sadir/ca.crt" ] && break; sleep 0.5
  done
  [ -s "$sadir/ca.crt" ] || fail "no kube-root-ca.crt ConfigMap in $ns after 30 s"
  printf '%s' "$ns" >"$sadir/namespace"
  chmod 755 "$sadir"; chmod 644 "$sadir"/*

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

for archive in "$@"; do
  tag=$(tar -xOf "$archive" manifest.json | jq -r '.[0].RepoTags[0] // ""')
  CURRENT=$(basename "$archive")
  case ${tag%:*} in
    */quartet-worker) test_worker "$archive" ;;
    */quartet-operator) test_operator "$archive" ;;
    *) fail "unknown image $tag: no test for it" ;;
  esac
done
echo "[images] image test: $# passed, 0 failed in $((SECONDS - started)) s"
