#!/usr/bin/env bash
# The DRA benchmark's baseline (docs/benchmarks.md): on a fresh local control plane (Kubernetes 1.36.3), one
# simulated node of NVIDIA's DRA driver with DynamicMIG (A30), arrivals and departures of mixed A30 profiles as
# plain pods with a ResourceClaim for a profile, allocated by the real kube-scheduler (first fit). Prints replicas
# placed, replicas that waited although their GPU's counters held them (the dra-driver-nvidia-gpu #933 pattern),
# free memory slices stranded while replicas wait, and evictions; writes one JSON line per event to
# docs/bench-results/dra-firstfit-<gpus>gpu-<time>.jsonl.
#
#   hack/bench-dra.sh [GPUS [EVENTS [WARMUP [SEED]]]]      (default: 2 80 6 933)
#
# Quartet's side of the comparison is not measured yet: the operator has no DRA backend (README, "Backends").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GPUS=${1:-2} EVENTS=${2:-80} WARMUP=${3:-6} SEED=${4:-933}
export QUARTET_CLUSTER_DIR=$ROOT/target/bench-dra-cluster
hack/local-cluster.sh down >/dev/null 2>&1 || true
hack/local-cluster.sh up --no-sim
trap 'hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT
OUT=$ROOT/docs/bench-results/dra-firstfit-${GPUS}gpu-$(date -u +%Y-%m-%dT%H%MZ).jsonl
QUARTET_KUBECONFIG=$QUARTET_CLUSTER_DIR/kubeconfig ./mvnw -B -q -ntp -pl nvidia,sim,test-support -am verify \
  -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=DraChurnBench \
  -Dquartet.bench.gpus="$GPUS" -Dquartet.bench.events="$EVENTS" -Dquartet.bench.warmup="$WARMUP" \
  -Dquartet.bench.seed="$SEED" -Dquartet.bench.out="$OUT" | grep '^DRA-BENCH' || true
echo "raw results: $OUT"
