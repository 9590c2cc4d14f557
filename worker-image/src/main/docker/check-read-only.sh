#!/usr/bin/env bash
# Reproduces the image's layout (see Dockerfile) without Docker and runs the worker in it as a
# non-root user whose only writable directory stands for the pod's /tmp emptyDir; serves both
# committed tiny models, checks readiness, and lists what the worker wrote. Needs root (setpriv).
#   worker-image/src/main/docker/check-read-only.sh
set -euo pipefail
cd "$(dirname "$0")/../../../.."
APP=worker-image/target/quarkus-app
[[ -f $APP/quarkus-run.jar ]] || ./mvnw -B -q -pl worker-image package -DskipTests
WORK=$(mktemp -d)
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
RO=$WORK/ro RW=$WORK/rw PORT=${PORT:-18190}
mkdir -p "$RO/opt/djl/pytorch" "$RO/models" "$RW"
cp -r "$APP" "$RO/opt/quartet"
cp worker-image/models/*.pt worker-image/models/*.onnx "$RO/models/"
(cd "$WORK" && unzip -q "$RO"/opt/quartet/lib/main/ai.djl.pytorch.pytorch-native-*.jar 'pytorch/*' \
  && mv pytorch/*/linux-x86_64/* "$RO/opt/djl/pytorch/")
chmod -R a+rX,a-w "$RO"
chown 65534:65534 "$RW"
chmod 711 "$WORK"
status=0
for model in tiny-resnet.pt tiny-resnet.onnx; do
  setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH="$PATH" HOME=/nonexistent \
    PYTORCH_LIBRARY_PATH="$RO/opt/djl/pytorch" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu DJL_CACHE_DIR="$RW/djl" \
    QUARTET_MODEL_URI="file://$RO/models/$model" QUARTET_MODEL_NAME=tiny QUARKUS_HTTP_PORT=$PORT \
    java -Djava.io.tmpdir="$RW" -jar "$RO/opt/quartet/quarkus-run.jar" > "$WORK/$model.log" 2>&1 &
  pid=$!
  ready=000
  for _ in $(seq 1 120); do
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/q/health/ready" || true)
    [[ $ready == 200 ]] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.5
  done
  kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  echo "$model as uid 65534, read-only app and natives: readiness $ready"
  [[ $ready == 200 ]] || { status=1; tail -20 "$WORK/$model.log"; }
done
echo "written to the writable directory:"; (cd "$RW" && find . -type f -printf '  %p %s bytes\n')
exit $status
