#!/usr/bin/env bash
# Writes the Go build module of one Kubernetes release: hack/kubernetes/<version>/ with a go.mod that
# requires k8s.io/kubernetes at that version and replaces every staging module (k8s.io/api, ...) by its
# published v0.x, as projects that import k8s.io/kubernetes do, a tools.go naming the four programs
# hack/local-cluster.sh builds, and the go.sum `go mod tidy` pins. Commit the directory.
#
#   hack/kubernetes/new-version.sh 1.36.3
set -euo pipefail
version=${1:?usage: $0 VERSION (e.g. 1.36.3)}
[[ $version =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || { echo "version must look like 1.36.3, got '$version'" >&2; exit 2; }
staging=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
dir=$(cd "$(dirname "$0")" && pwd)/$version
upstream=$(go mod download -json "k8s.io/kubernetes@v$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
[ -f "$upstream" ] || { echo "could not download k8s.io/kubernetes@v$version from the Go module proxy" >&2; exit 1; }
# Only staging modules k8s.io/kubernetes itself requires (the sample plugins it merely replaces are not
# published for every release).
required=$(sed -n '/^require (/,/^)/p' "$upstream" | awk '$2 == "v0.0.0" { print $1 }')
mkdir -p "$dir"
{
    echo "// The build module of Kubernetes $version's control plane for hack/local-cluster.sh (written by"
    echo "// hack/kubernetes/new-version.sh). No source is vendored: everything comes from the Go module proxy."
    echo "module quartet.dev/hack/kubernetes"
    echo
    sed -n 's/^go \(.*\)$/go \1/p' "$upstream"
    echo
    echo "require k8s.io/kubernetes v$version"
    echo
    echo "replace ("
    for m in $required; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    echo ")"
} >"$dir/go.mod"
cat >"$dir/tools.go" <<'GO'
//go:build tools

// Package tools names the programs hack/local-cluster.sh builds, so that go mod tidy keeps what they need.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
(cd "$dir" && go mod tidy)
echo "wrote $dir"
