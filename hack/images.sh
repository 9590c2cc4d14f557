#!/usr/bin/env bash
# Builds Quartet's container images with Jib (Quarkus' container-image extension): no Docker engine, no
# base image pulled from anywhere.
#
#   hack/images.sh                   every image as a docker archive under target/images/, named and tagged
#                                    as on the default registry: ghcr.io/quartet-dev/<image>:<project version>
#                                    (what the Helm chart installs by default)
#   hack/images.sh --push REGISTRY   build every image and push it to REGISTRY, e.g. ghcr.io/myorg
#                                    (then: helm install ... --set image.repository=REGISTRY/quartet-operator
#                                     --set workerImage=REGISTRY/quartet-worker:<version>
#                                     --set nodeAgent.image.repository=REGISTRY/quartet-node-agent)
#   hack/images.sh --test            build the archives, then run each one as the chart runs it
#                                    (hack/images/test-images.sh: needs root; starts a local control plane
#                                     unless QUARTET_KUBECONFIG names one)
#   --gpu                            also the worker's GPU variant, <registry>/quartet-worker:<version>-gpu,
#                                    with the CUDA engine builds Maven Central serves (worker-image/README.md
#                                    says what it holds and lacks)
#   --insecure                       allow plain HTTP to REGISTRY (a registry of your own on a test network)
#
# Images: quartet-operator, quartet-worker and quartet-node-agent (which brings no NVML: the NVIDIA container
# runtime mounts the node's libnvidia-ml.so.1), on a Debian bookworm + Java 17 base built offline from the
# Debian mirror this machine's apt uses (hack/images/base-image.sh, cached in
# ${QUARTET_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/quartet}/base-images). Without --push, Jib pushes to a
# registry on 127.0.0.1 that lives only while this script runs, and the archives are saved from it: the
# same Jib code path as --push. Credentials for --push are Jib's: docker's config.json and credential
# helpers (docker login, podman login, DOCKER_CONFIG), or QUARKUS_CONTAINER_IMAGE_USERNAME and _PASSWORD.
# Needs Java 17, Go 1.25 or newer (to build hack/tools once) and, for the base image, root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. hack/images/archive.sh
. hack/lib.sh
. hack/images/common.sh
fail_loudly images

DEFAULT_REGISTRY=ghcr.io/quartet-dev
IMAGES=(quartet-operator quartet-worker quartet-node-agent)
CACHE_DIR=${QUARTET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quartet}
OUT=$ROOT/target/images
WORK=$OUT/work

project_version() {
  awk '/<artifactId>quartet-parent<\/artifactId>/ { p = 1 }
       p && /<version>/ { gsub(/.*<version>|<\/version>.*/, ""); print; exit }' pom.xml
}

push_to= insecure=false test=false gpu=false
while [ $# -gt 0 ]; do
  case $1 in
    --push) [ $# -ge 2 ] || die "--push needs a registry, e.g. --push ghcr.io/myorg"; push_to=${2%/}; shift 2 ;;
    --insecure) insecure=true; shift ;;
    --test) test=true; shift ;;
    --gpu) gpu=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see hack/images.sh --help)" ;;
  esac
done
[ -z "$push_to" ] || ! $test || die "--test runs the archives; it does not go with --push"

VERSION=$(project_version)
[ -n "$VERSION" ] || die "cannot read the project version from pom.xml"
started=$SECONDS
mkdir -p "$WORK"

TOOL=$(image_archive_tool "$CACHE_DIR" "$WORK")

# --- base images --------------------------------------------------------------------------------------------
# Debian + Java 17, keyed by its recipe: hack/images/base-image.sh and archive.sh.
jre_base() {
  local key; key=$(cat hack/images/base-image.sh hack/images/archive.sh | sha256sum | cut -c1-16)
  local dir=$CACHE_DIR/base-images/jre-$key
  if [ ! -f "$dir/image.tar" ]; then
    [ "$(id -u)" -eq 0 ] || die "the base image is not cached yet and building it needs root (debootstrap): run as root once"
    rm -rf "$dir.part"
    timed_step "base image (Debian bookworm + openjdk-17-jre-headless, one-off)" "$WORK/base-image.log" \
      hack/images/base-image.sh "$dir.part"
    mv "$dir.part" "$dir"
  fi
  echo "$dir"
}

# The libtorch of the worker's pytorch-native jar (flavour and version from the pom, or -D overrides in
# MAVEN_NATIVES_ARGS), unpacked into /opt/djl/pytorch as one layer, keyed by the jar's hash. Prints the
# layer directory, which also holds flavour and version files.
libtorch_layer() {
  local natives=$WORK/natives-$1; shift
  rm -rf "$natives"
  timed_step "resolve the worker's libtorch jar" "$WORK/natives.log" ./mvnw -B -ntp -pl worker-image \
    dependency:copy-dependencies -DincludeGroupIds=ai.djl.pytorch -DincludeClassifiers=linux-x86_64 \
    -DoutputDirectory="$natives" "$@"
  local jars=("$natives"/pytorch-native-*.jar)
  [ ${#jars[@]} -eq 1 ] && [ -f "${jars[0]}" ] || die "expected one pytorch-native jar in $natives, found: ${jars[*]}"
  local jar=${jars[0]} key; key=$(sha256sum "$jar" | cut -c1-16)
  local dir=$CACHE_DIR/base-images/libtorch-$key
  if [ ! -f "$dir/layer.tar.gz" ]; then
    rm -rf "$dir.part" "$WORK/libtorch"; mkdir -p "$dir.part" "$WORK/libtorch/opt/djl/pytorch"
    unzip -q "$jar" 'pytorch/*' -d "$WORK/libtorch/jar"
    local libs=("$WORK"/libtorch/jar/pytorch/*/linux-x86_64)
    [ ${#libs[@]} -eq 1 ] && [ -d "${libs[0]}" ] || die "unexpected layout of $jar: ${libs[*]}"
    basename "$(dirname "${libs[0]}")" >"$dir.part/flavor"
    basename "$jar" | sed -n 's/^pytorch-native-.*-\([0-9][0-9.]*\)-linux-x86_64\.jar$/\1/p' >"$dir.part/version"
    [ -s "$dir.part/version" ] || die "cannot read the libtorch version from $(basename "$jar")"
    mv "${libs[0]}"/* "$WORK/libtorch/opt/djl/pytorch/"
    rm -rf "$WORK/libtorch/jar"
    chmod -R u=rwX,go=rX "$WORK/libtorch"
    write_layer "$WORK/libtorch" "$dir.part/layer.tar.gz" fixed
    rm -rf "$WORK/libtorch" "$dir"; mv "$dir.part" "$dir"
  fi
  echo "$dir"
}

# The worker's base: Debian + Java 17, libtorch in /opt/djl/pytorch (PYTORCH_LIBRARY_PATH, so that DJL
# uses it read-only and never unpacks 450 MB into /tmp) and the committed models in /models.
worker_base() {
  local jre=$1 libtorch=$2 out=$3
  rm -rf "$WORK/models"; mkdir -p "$WORK/models/models"
  cp worker-image/models/*.pt worker-image/models/*.onnx "$WORK/models/models/"
  chmod -R u=rwX,go=rX "$WORK/models"
  write_layer "$WORK/models" "$WORK/models.tar.gz" fixed
  local config; config=$(jq -c --arg flavor "$(cat "$libtorch/flavor")" --arg version "$(cat "$libtorch/version")" '
    .config.Env += ["PYTORCH_LIBRARY_PATH=/opt/djl/pytorch", "PYTORCH_VERSION=" + $version,
                    "PYTORCH_FLAVOR=" + $flavor]
    | .history += [{created: "1970-01-01T00:00:00Z", created_by: ("libtorch " + $version + " " + $flavor
                     + " in /opt/djl/pytorch (hack/images.sh)")},
                   {created: "1970-01-01T00:00:00Z", created_by: "worker-image/models in /models (hack/images.sh)"}]
    | del(.rootfs)' "$jre/config.json")
  write_archive "$out" "quartet-worker-base:$VERSION" "$config" \
    "$jre/rootfs.tar.gz" "$libtorch/layer.tar.gz" "$WORK/models.tar.gz"
}

# --- registry -----------------------------------------------------------------------------------------------
registry_pid=
stop_registry() { if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi; }
trap stop_registry EXIT

# start_local_registry: a registry on 127.0.0.1 for this run (stopped on exit); sets LOCAL_REGISTRY.
start_local_registry() {
  rm -rf "$WORK/registry" "$WORK/registry.port"
  "$TOOL" registry "$WORK/registry" "$WORK/registry.port" >"$WORK/registry.log" 2>&1 &
  registry_pid=$!
  local i; for i in $(seq 1 100); do [ -s "$WORK/registry.port" ] && break; sleep 0.1; done
  [ -s "$WORK/registry.port" ] || { cat "$WORK/registry.log" >&2; die "the local registry did not start"; }
  LOCAL_REGISTRY=127.0.0.1:$(cat "$WORK/registry.port")
}

# --- build --------------------------------------------------------------------------------------------------
jre=$(jre_base)
libtorch=$(libtorch_layer cpu)
worker_base "$jre" "$libtorch" "$WORK/worker-base.tar"

if [ -n "$push_to" ]; then
  registry=$push_to
else
  start_local_registry
  registry=$LOCAL_REGISTRY/${DEFAULT_REGISTRY#*/}
  insecure=true
fi
host=${registry%%/*} group=
[ "$host" != "$registry" ] && group=${registry#*/}
case $host in *.*|*:*|localhost) ;; *) die "REGISTRY must start with a registry host, e.g. ghcr.io/myorg or docker.io/myorg (got $registry)";; esac

jib_args=(-Dquarkus.container-image.push=true -Dquarkus.container-image.registry="$host"
  -Dquarkus.container-image.group="$group" -Dquarkus.container-image.insecure="$insecure")
log "building ${IMAGES[*]} $VERSION for $registry"
timed_step "package and build images with Jib" "$WORK/maven.log" ./mvnw -B -ntp -pl operator,worker-image,node-agent -am package \
  -DskipTests "${jib_args[@]}" \
  -Dquartet-images.operator-base="tar://$jre/image.tar" -Dquartet-images.worker-base="tar://$WORK/worker-base.tar" \
  -Dquartet-images.node-agent-base="tar://$jre/image.tar"
built=("${IMAGES[@]/%/:$VERSION}")

if $gpu; then
  # The worker with the CUDA builds of its engines that Maven Central serves: onnxruntime_gpu (1.22.0: 1.21.1,
  # the CPU build's version, is not served as _gpu). DJL publishes no CUDA libtorch 2.7.1 there (its
  # pytorch-native-cu* stop at 2.5.1), so this variant keeps the CPU libtorch. CUDA's own libraries
  # (cudart, cuBLAS, cuDNN, which onnxruntime_gpu's CUDA provider loads) are in no Maven artifact and are
  # not in the image: see worker-image/README.md.
  gpu_tag=$VERSION-gpu
  timed_step "package and build the worker's GPU variant with Jib" "$WORK/maven-gpu.log" ./mvnw -B -ntp -pl worker-image \
    package -DskipTests "${jib_args[@]}" -Dquarkus.container-image.tag="$gpu_tag" \
    -Donnxruntime.artifactId=onnxruntime_gpu -Donnxruntime.version=1.22.0 \
    -Dquarkus.package.output-directory=quarkus-app-gpu \
    -Dquartet-images.worker-base="tar://$WORK/worker-base.tar"
  built+=("quartet-worker:$gpu_tag")
fi

archives=()
if [ -z "$push_to" ]; then
  rm -f "$OUT"/*.tar
  for image in "${built[@]}"; do
    archive=$OUT/${image/:/-}.tar
    archives+=("$archive")
    timed_step "save $DEFAULT_REGISTRY/$image" "$WORK/save.log" \
      "$TOOL" save "$registry/$image" "$DEFAULT_REGISTRY/$image" "$archive"
    printf '%s\t%s\t%s\n' "$DEFAULT_REGISTRY/$image" "$(du -h "$archive" | cut -f1)" "${archive#"$ROOT"/}"
  done
  stop_registry; registry_pid=; rm -rf "$WORK/registry"   # its blobs are in the archives now
  log "archives in ${OUT#"$ROOT"/}/ after $((SECONDS - started)) s; load one with: docker load -i FILE (or podman load, skopeo copy docker-archive:FILE ...)"
else
  for image in "${built[@]}"; do printf '%s\tpushed\n' "$registry/$image"; done
  log "pushed after $((SECONDS - started)) s"
fi

if $test; then
  exec hack/images/test-images.sh "${archives[@]}"
fi
