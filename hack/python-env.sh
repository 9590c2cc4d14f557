#!/usr/bin/env bash
# Makes (once) the Python virtual environment of the client tests from hack/python/requirements.txt, with the
# machine's python3 and pip settings (its index or mirror), and prints its python's path. The environment is
# kept in ${QUARTET_CACHE_DIR:-~/.cache/quartet}/python-<hash of the requirements> and reused.
#
#   "$(hack/python-env.sh)" -m pytest worker-image/src/test/python
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/hack/lib.sh"
fail_loudly python-env
requirements=$ROOT/hack/python/requirements.txt
cache=${QUARTET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quartet}
env_dir=$cache/python-$(sha256sum "$requirements" | cut -c1-12)
# A virtual environment cannot be moved (its scripts name its path): built in place, marked when complete.
if [ ! -f "$env_dir/.complete" ]; then
    command -v python3 >/dev/null || { echo "[python-env] python3 is needed (Debian: apt-get install python3)" >&2; exit 1; }
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        # Debian's python3 keeps venv's pip bootstrap in a package of its own
        sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        step "install python3-venv" "$cache/logs/python-venv-apt.log" \
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
    rm -rf "$env_dir"
    step "create the Python environment" "$cache/logs/python-env.log" python3 -m venv "$env_dir"
    step "pip install -r hack/python/requirements.txt" "$cache/logs/python-env.log" \
        "$env_dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
    touch "$env_dir/.complete"
fi
echo "$env_dir/bin/python"
