#!/usr/bin/env bash
# The DRA benchmark (docs/benchmarks.md): on a fresh local control plane (Kubernetes 1.36.3), one simulated node of
# NVIDIA's DRA driver with DynamicMIG (A30), the same arrivals and departures of mixed A30 profiles twice:
#   1. first fit: plain pods with a ResourceClaim for a profile, allocated by the real kube-scheduler;
#   2. through Quartet: one InferenceDeployment of one movable replica per arrival, with the packaged operator and the
#      chart's permissions; Quartet plans each placement and writes it into the replica's claim.
# Prints replicas placed, replicas that waited although their GPU's counters held them (the dra-driver-nvidia-gpu
# #933 pattern), free memory slices stranded while replicas wait, and evictions (first fit) or moves (Quartet);
# writes one JSON line per event to docs/bench-results/dra-{firstfit,quartet}-<gpus>gpu-<time>.jsonl.
#
#   hack/bench-dra.sh [GPUS [EVENTS [WARMUP [SEED]]]]      (default: 2 80 6 933)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GPUS=${1:-2} EVENTS=${2:-80} WARMUP=${3:-6} SEED=${4:-933}
export QUARTET_CLUSTER_DIR=$ROOT/target/bench-dra-cluster
hack/local-cluster.sh down >/dev/null 2>&1 || true
hack/local-cluster.sh up --no-sim
trap 'hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
OUT=$ROOT/docs/bench-results/dra-firstfit-${GPUS}gpu-$STAMP.jsonl
QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig ./mvnw -B -q -ntp -pl nvidia,sim,test-support -am verify \
  -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=DraChurnBench \
  -Dquartet.bench.gpus="$GPUS" -Dquartet.bench.events="$EVENTS" -Dquartet.bench.warmup="$WARMUP" \
  -Dquartet.bench.seed="$SEED" -Dquartet.bench.out="$OUT" | grep '^DRA-BENCH' || true
echo "raw results: $OUT"
OUT_Q=$ROOT/docs/bench-results/dra-quartet-${GPUS}gpu-$STAMP.jsonl
QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig KUBECACHEDIR=$ROOT/target/kube-cache ./mvnw -B -q -ntp \
  -pl operator -am verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=DraQuartetChurnBench \
  -Dquartet.bench.gpus="$GPUS" -Dquartet.bench.events="$EVENTS" -Dquartet.bench.warmup="$WARMUP" \
  -Dquartet.bench.seed="$SEED" -Dquartet.bench.out="$OUT_Q" | grep '^DRA-BENCH' || true
echo "raw results: $OUT_Q"
