#!/usr/bin/env bash
# Compiles the fake libnvidia-ml.so.1 (fake_nvml.c) into the directory given as $1, with Debian's gcc.
set -euo pipefail
out=${1:?usage: build.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v gcc >/dev/null 2>&1; then
    echo "ERROR: gcc not found: the fake NVML library (node-agent/src/fake-nvml) is compiled with Debian's gcc;" \
        "install it with: apt-get install -y gcc libc6-dev" >&2
    exit 1
fi
mkdir -p "$out"
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -Wl,-soname,libnvidia-ml.so.1 \
    -o "$out/libnvidia-ml.so.1.tmp" "$here/fake_nvml.c" -lpthread
mv -f "$out/libnvidia-ml.so.1.tmp" "$out/libnvidia-ml.so.1"
ln -sfn libnvidia-ml.so.1 "$out/libnvidia-ml.so"
