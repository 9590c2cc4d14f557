#!/usr/bin/env bash
# Benchmarks the Quartet worker (issue 6): ResNet-50-shaped ONNX and TorchScript models at
# concurrency 1, 4 and 16, served over HTTP (OIP JSON and the binary tensor extension) and over gRPC
# (raw_input_contents), all with dynamic batching, against the same engine called in-process in the
# same run, plus the worker's resident memory. Prints Markdown tables, keeps them in
# .bench/worker-results.md and writes the raw results to docs/bench-results/worker-<model>-<time>.json.
# Figures, not pass/fail. (The worker beside KServe and MLServer: hack/bench-peers.sh.)
#
#   hack/bench-worker.sh                      # both models, 24 s per mode and concurrency
#   BENCH_WORKER_JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/w.jfr hack/bench-worker.sh   # profile the worker
#   BENCH_CLIENT=jdk hack/bench-worker.sh    # JDK HttpClient load generator instead of the lean one
#   BENCH_MODELS=json hack/bench-worker.sh   # only the CPU cost of reading a 1.6 MB JSON request
#   BENCH_SECONDS=10 BENCH_MODELS=pt BENCH_CONCURRENCY=16 BENCH_PT_MAX_BATCH_SIZE=8 BENCH_PT_WORKERS=2 hack/bench-worker.sh
#
# Needs /usr/bin/python3 with python3-torch + python3-torchvision (apt) the first time, to export
# the ~100 MB ResNet-50-shaped models (random weights) into .bench/models (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/.bench
MODELS=$BENCH/models
SECONDS_PER_RUN=${BENCH_SECONDS:-24}
FORMATS=${BENCH_MODELS:-"onnx pt tiny"}
PORT=${BENCH_PORT:-18181}
GRPC_PORT=$((PORT + 1))
DELAY=${BENCH_MAX_BATCH_DELAY_MILLIS:-5}
# Batching per engine, the best of the settings tried on this 2-core machine (docs/benchmarks.md):
# ONNX Runtime gains from batches of 8; libtorch on CPU from more, smaller batches in parallel.
ONNX_BATCH=${BENCH_ONNX_MAX_BATCH_SIZE:-8} ONNX_WORKERS=${BENCH_ONNX_WORKERS:-2}
PT_BATCH=${BENCH_PT_MAX_BATCH_SIZE:-2} PT_WORKERS=${BENCH_PT_WORKERS:-4}
mkdir -p "$MODELS" "$BENCH/natives/djl" "$BENCH/natives/tmp"

if [[ ! -f $MODELS/resnet50.onnx || ! -f $MODELS/resnet50.pt ]]; then
  echo "Exporting ResNet-50-shaped models into $MODELS ..." >&2
  /usr/bin/python3 worker-image/models/make-models.py --resnet50 "$MODELS"
fi
echo "Building the worker and the benchmark ..." >&2
./mvnw -B -q -pl worker-image package -DskipTests
./mvnw -B -q -pl worker-image dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$BENCH/classpath.txt" >/dev/null
CP="worker-image/target/test-classes:worker-image/target/classes:$(cat "$BENCH/classpath.txt")"

export DJL_CACHE_DIR=$BENCH/natives/djl
OUT=$BENCH/worker-results.md
{
  echo "## Worker benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $SECONDS_PER_RUN s per mode and concurrency in 4 interleaved slices;"
  echo "worker: max delay $DELAY ms; ONNX max batch $ONNX_BATCH rows x $ONNX_WORKERS workers;"
  echo "TorchScript max batch $PT_BATCH rows x $PT_WORKERS workers; $(java -version 2>&1 | head -1)"
} > "$OUT"

WORKER=""
cleanup() { [[ -n $WORKER ]] && kill "$WORKER" 2>/dev/null && wait "$WORKER" 2>/dev/null; true; }
trap cleanup EXIT

for fmt in $FORMATS; do
  if [[ $fmt == json ]]; then
    # Reading the JSON request alone: Jackson against JsonTensorScan, no worker process.
    java -Xmx1g -cp "$CP" dev.quartet.worker.JsonReadBenchmark | tee -a "$OUT"
    continue
  fi
  # "tiny": the committed 80 kB ResNet-style ONNX model at concurrency 1, where the engine takes
  # about a millisecond, so that the protocol's own cost is visible.
  file=$MODELS/resnet50.$fmt input=input shape=1,3,224,224 levels=${BENCH_CONCURRENCY:-1,4,16}
  if [[ $fmt == tiny ]]; then
    file=$ROOT/worker-image/models/tiny-resnet.onnx input=image shape=1,3,32,32 levels=1
  fi
  if [[ $fmt == pt ]]; then BATCH=$PT_BATCH WORKERS=$PT_WORKERS; else BATCH=$ONNX_BATCH WORKERS=$ONNX_WORKERS; fi
  QUARTET_MODEL_URI=$file QUARTET_MODEL_NAME=bench QUARKUS_HTTP_PORT=$PORT QUARKUS_GRPC_SERVER_PORT=$GRPC_PORT \
    QUARTET_BATCHING_MAX_BATCH_SIZE=$BATCH QUARTET_BATCHING_MAX_BATCH_DELAY_MILLIS=$DELAY \
    QUARTET_BATCHING_WORKERS=$WORKERS \
    java -Djava.io.tmpdir="$BENCH/natives/tmp" ${BENCH_WORKER_JAVA_OPTS:-} \
    -jar worker-image/target/quarkus-app/quarkus-run.jar > "$BENCH/worker-$fmt.log" 2>&1 &
  WORKER=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null && break
    kill -0 "$WORKER" 2>/dev/null || { cat "$BENCH/worker-$fmt.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null || { echo "worker not ready" >&2; exit 1; }
  grep -h "dev.quartet.worker.ModelLoader" "$BENCH/worker-$fmt.log" | sed 's/^[^]]*] //' >&2
  java -Djava.io.tmpdir="$BENCH/natives/tmp" -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
    -cp "$CP" dev.quartet.worker.bench.WorkerBenchmark \
    --model="$file" --url="http://127.0.0.1:$PORT/v2/models/bench/infer" --input=$input --shape=$shape \
    --pid="$WORKER" --seconds="$SECONDS_PER_RUN" --concurrency="$levels" \
    --client="${BENCH_CLIENT:-lean}" --workers="$WORKERS" --grpc=127.0.0.1:$GRPC_PORT \
    --results="docs/bench-results/worker-$fmt-$(date -u +%Y-%m-%dT%H%MZ).json" \
    --load-at-start="$(cut -d' ' -f1-3 /proc/loadavg)" --commit="$(git rev-parse HEAD)$(git diff --quiet || echo '+changes')" \
    --settings="max batch $BATCH x $WORKERS workers, delay $DELAY ms" \
    ${QUARTET_ENGINE_THREADS_PER_CALL:+--threads-per-call=$QUARTET_ENGINE_THREADS_PER_CALL} | tee -a "$OUT"
  echo "load average after $fmt: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
  kill "$WORKER"; wait "$WORKER" 2>/dev/null || true; WORKER=""
done
echo >&2; echo "Results kept in $OUT" >&2
