#!/usr/bin/env bash
# Regenerates crds/ and helm/quartet/crds/ from the Java model (dev.quartet.model): builds the operator
# (fabric8's CRD generator runs in the Quarkus build) and writes the committed form (CrdExport).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl operator -am package -DskipTests
mkdir -p crds helm/quartet/crds
CP=$(./mvnw -B -q -pl operator dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
java -cp "operator/target/test-classes:operator/target/classes:$CP" dev.quartet.crd.CrdExport \
  operator/target/kubernetes/inferencedeployments.inference.quartet.dev-v1.yml \
  crds/inferencedeployments.inference.quartet.dev-v1.yml \
  helm/quartet/crds/inferencedeployments.inference.quartet.dev-v1.yml
java -cp "operator/target/test-classes:operator/target/classes:$CP" dev.quartet.crd.ApiReference \
  crds/inferencedeployments.inference.quartet.dev-v1.yml docs/api-reference.md
