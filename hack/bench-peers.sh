#!/usr/bin/env bash
# Benchmarks the Quartet worker beside the servers users would pick instead, on the same ONNX ResNet-50 (the one
# hack/bench-worker.sh uses), from the same Java load generator, in one run: this worker, KServe's Python model
# server and Seldon's MLServer (both from PyPI, pinned in hack/bench-peers/*-requirements.txt, each serving the model
# with ONNX Runtime through the custom model their docs describe), plus the same engine called in-process. Every
# server is up for the whole run and measured in interleaved slices; before timing, KServe's own SDK clients check
# that each answers the image with ONNX Runtime's logits. Prints Markdown tables (kept in .bench/peers-results.md)
# and writes the raw results to docs/bench-results/peers-<UTC time>.json. Figures, not pass/fail.
#
#   hack/bench-peers.sh                          # 24 s per mode and concurrency, c = 1, 4, 16 (~25 min)
#   BENCH_SECONDS=12 BENCH_CONCURRENCY=16 hack/bench-peers.sh
#
# Settings (same engine threads in all; batching where the server has it):
#   worker   : QUARTET defaults: 2 batch workers x 1 ONNX Runtime thread per call, max batch 8, max delay 5 ms
#   MLServer : parallel_workers 2 (inference processes) x 1 thread per call, adaptive batching max 8, 5 ms
#   KServe   : one inference at a time (a synchronous predict, as its custom-model docs write it, runs on the
#              server's event loop) with 2 ONNX Runtime threads per call; no batching (KServe's batcher is its
#              Kubernetes agent, not the Python server)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. hack/lib.sh
fail_loudly bench-peers
BENCH=$ROOT/.bench
MODELS=$BENCH/models
MODEL=$MODELS/resnet50.onnx
SECONDS_PER_RUN=${BENCH_SECONDS:-24}
LEVELS=${BENCH_CONCURRENCY:-1,4,16}
cache=${QUARTET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quartet}
mkdir -p "$MODELS" "$BENCH/natives/djl" "$BENCH/natives/tmp" "$BENCH/peers"

# A virtual environment per requirements file, made once (like hack/python-env.sh), its python printed.
venv() {
    local requirements=$1 dir
    dir=$cache/python-$(basename "$requirements" .txt)-$(sha256sum "$requirements" | cut -c1-12)
    if [ ! -f "$dir/.complete" ]; then
        rm -rf "$dir"
        step "create $(basename "$dir")" "$cache/logs/$(basename "$dir").log" python3 -m venv "$dir"
        step "pip install -r $requirements" "$cache/logs/$(basename "$dir").log" \
            "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
        touch "$dir/.complete"
    fi
    echo "$dir/bin/python"
}

if [[ ! -f $MODEL ]]; then
    echo "Exporting the ResNet-50-shaped models into $MODELS ..." >&2
    /usr/bin/python3 worker-image/models/make-models.py --resnet50 "$MODELS"
fi
KSERVE_PY=$(venv hack/bench-peers/kserve-requirements.txt)
MLSERVER_PY=$(venv hack/bench-peers/mlserver-requirements.txt)
echo "Building the worker and the benchmark ..." >&2
./mvnw -B -q -pl worker-image package -DskipTests
./mvnw -B -q -pl worker-image dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$BENCH/classpath.txt" >/dev/null
CP="worker-image/target/test-classes:worker-image/target/classes:$(cat "$BENCH/classpath.txt")"

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

await_ready() { # NAME URL PID LOG
    for _ in $(seq 1 360); do
        curl -sf "$2" >/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { echo "$1 exited:" >&2; tail -30 "$4" >&2; exit 1; }
        sleep 0.5
    done
    echo "$1 not ready after 180 s:" >&2; tail -30 "$4" >&2; exit 1
}

# This worker.
QUARTET_MODEL_URI=$MODEL QUARTET_MODEL_NAME=bench QUARKUS_HTTP_PORT=18181 QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_GRPC_SERVER_PORT=18182 QUARKUS_GRPC_SERVER_HOST=127.0.0.1 DJL_CACHE_DIR=$BENCH/natives/djl \
    java -Djava.io.tmpdir="$BENCH/natives/tmp" -jar worker-image/target/quarkus-app/quarkus-run.jar \
    >"$BENCH/peers/worker.log" 2>&1 &
PIDS+=($!)
await_ready worker http://127.0.0.1:18181/v2/health/ready "$!" "$BENCH/peers/worker.log"

# KServe's Python model server.
(cd hack/bench-peers && exec "$KSERVE_PY" kserve_onnx.py --model_name bench --model_path "$MODEL" \
    --http_port 18281 --grpc_port 18282 --intra_op_threads 2) >"$BENCH/peers/kserve.log" 2>&1 &
PIDS+=($!)
await_ready kserve http://127.0.0.1:18281/v2/health/ready "$!" "$BENCH/peers/kserve.log"

# MLServer: its settings and the model's, from the templates.
MLS=$BENCH/peers/mlserver
rm -rf "$MLS" && mkdir -p "$MLS/bench"
cp hack/bench-peers/mlserver/onnx_runtime.py "$MLS/"
sed -e 's/@HTTP_PORT@/18381/; s/@GRPC_PORT@/18382/; s/@METRICS_PORT@/18383/; s/@PARALLEL_WORKERS@/2/' \
    hack/bench-peers/mlserver/settings.json.template >"$MLS/settings.json"
sed -e "s|@MODEL@|$MODEL|; s/@MAX_BATCH_SIZE@/8/; s/@MAX_BATCH_TIME@/0.005/; s/@THREADS@/1/" \
    hack/bench-peers/mlserver/model-settings.json.template >"$MLS/bench/model-settings.json"
(cd "$MLS" && exec "$(dirname "$MLSERVER_PY")/mlserver" start .) >"$BENCH/peers/mlserver.log" 2>&1 &
PIDS+=($!)
await_ready mlserver http://127.0.0.1:18381/v2/models/bench/ready "$!" "$BENCH/peers/mlserver.log"

"$KSERVE_PY" hack/bench-peers/check_answers.py "$MODEL" \
    worker=http://127.0.0.1:18181,127.0.0.1:18182 \
    kserve=http://127.0.0.1:18281,127.0.0.1:18282 \
    mlserver=http://127.0.0.1:18381,127.0.0.1:18382

STAMP=$(date -u +%Y-%m-%dT%H%MZ)
OUT=$BENCH/peers-results.md
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "## Peer benchmark $STAMP"
    echo
    echo "$(nproc) cores, load average at start: $LOAD; commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes');"
    echo "$SECONDS_PER_RUN s per mode and concurrency in 4 interleaved slices after a warm-up slice; $(java -version 2>&1 | head -1)"
} | tee "$OUT"
java -Djava.io.tmpdir="$BENCH/natives/tmp" -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
    -cp "$CP" dev.quartet.worker.bench.PeerBenchmark \
    --model="$MODEL" --input=input --shape=1,3,224,224 --seconds="$SECONDS_PER_RUN" --concurrency="$LEVELS" \
    --target=worker,http://127.0.0.1:18181/v2/models/bench/infer,127.0.0.1:18182,bench,binary \
    --target=kserve,http://127.0.0.1:18281/v2/models/bench/infer,127.0.0.1:18282,bench,binary \
    --target=mlserver,http://127.0.0.1:18381/v2/models/bench/infer,127.0.0.1:18382,bench \
    --results="docs/bench-results/peers-$STAMP.json" --load-at-start="$LOAD" \
    --commit="$(git rev-parse HEAD)$(git diff --quiet || echo '+changes')" \
    --settings="worker: 2 batch workers x 1 ORT thread, max batch 8, 5 ms; mlserver: parallel_workers 2 x 1 ORT thread, adaptive batching 8, 5 ms; kserve: 1 call at a time x 2 ORT threads, no batching; in-process: 1 ORT thread per call" \
    | tee -a "$OUT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
echo >&2; echo "Results kept in $OUT and docs/bench-results/peers-$STAMP.json" >&2
