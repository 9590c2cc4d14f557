# Shared by hack/images.sh and hack/images/test-images.sh (sourced, not run, after hack/lib.sh): messages,
# the image-archive tool (hack/tools: go-containerregistry at the versions of its go.mod and go.sum) and a
# free port.

log() { printf '[%s] %s\n' "$HACK_TAG" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$HACK_TAG" "$*" >&2; exit 1; }

# image_archive_tool CACHE_DIR LOG_DIR: prints the path of hack/tools/image-archive, built once per version of
# its sources (needs Go 1.25 or newer; the modules come from the Go module proxy).
image_archive_tool() {
  local cache=$1 logs=$2 root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  command -v go >/dev/null || die "Go 1.25 or newer is needed to build hack/tools (https://go.dev/dl/)"
  local key; key=$(cat "$root"/hack/tools/go.mod "$root"/hack/tools/go.sum "$root"/hack/tools/image-archive/*.go \
    | sha256sum | cut -c1-16)
  local bin=$cache/tools/image-archive-$key
  if [ ! -x "$bin" ]; then
    mkdir -p "$cache/tools" "$logs"
    timed_step "build hack/tools/image-archive" "$logs/go-build.log" \
      env -C "$root/hack/tools" GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -o "$bin.part" ./image-archive
    mv "$bin.part" "$bin"
  fi
  echo "$bin"
}

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
  python3 - <<'PY' 2>/dev/null || shuf -i 20000-45000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# timed_step NAME LOG COMMAND...: hack/lib.sh's step, then how long it took; nothing on stdout (callers
# print results there), so STEP_ECHO's copy of the output goes to stderr.
timed_step() {
  local t=$SECONDS
  step "$@" >&2
  log "$1: $((SECONDS - t)) s"
}
