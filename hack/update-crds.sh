#!/usr/bin/env bash
# Regenerates crds/ and helm/quartet/crds/ from the Java model (dev.quartet.model): builds the operator
# (fabric8's CRD generator runs in the Quarkus build) and writes the committed form (CrdExport).
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh
fail_loudly update-crds
step "build the operator (./mvnw -pl operator -am package)" target/hack-logs/operator-build.log \
  ./mvnw -B -ntp -pl operator -am package -DskipTests
mkdir -p crds helm/quartet/crds
CP=$(operator_test_classpath "$PWD")
java -cp "$CP" dev.quartet.crd.CrdExport \
  operator/target/kubernetes/inferencedeployments.inference.quartet.dev-v1.yml \
  crds/inferencedeployments.inference.quartet.dev-v1.yml \
  helm/quartet/crds/inferencedeployments.inference.quartet.dev-v1.yml
java -cp "$CP" dev.quartet.crd.ApiReference \
  crds/inferencedeployments.inference.quartet.dev-v1.yml docs/api-reference.md
