#!/usr/bin/env bash
# The base image of Quartet's images, built offline from Debian's packages: a Debian bookworm root
# filesystem (debootstrap --variant=minbase) with Debian's openjdk-17-jre-headless and a user quartet
# (uid/gid 65532, what the images run as), written as a docker archive that Jib reads as its base image
# (quarkus.jib.base-jvm-image=tar://...).
#
#   hack/images/base-image.sh DIR
#
# Writes DIR/rootfs.tar.gz (+ .diffid, the one layer), DIR/config.json (the image config without rootfs)
# and DIR/image.tar (the archive). hack/images.sh calls it with DIR in the cache, named by a hash of this
# file and archive.sh, so the image is rebuilt only when its recipe changes.
#
# Packages come from the mirror this machine's apt already uses: the URI of the sources entry serving
# bookworm main (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list and *.sources), and apt's HTTP
# proxy if one is set. Needs root (debootstrap and chroot); installs debootstrap and jq if missing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=archive.sh
. "$HERE/archive.sh"

SUITE=bookworm
PACKAGES=openjdk-17-jre-headless
JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
USER_ID=65532

log() { printf '[base-image] %s\n' "$*" >&2; }
die() { printf '[base-image] error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
OUT=$1
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"

# The first URI of an enabled "deb" entry whose suites include bookworm and components include main.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI SUITE COMPONENT...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '
      $1 == "deb" && $3 == suite { for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit } }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas, separated by blank lines; field names are case-insensitive
    awk -v suite="$SUITE" '
      function has(list, word,   n, a, i) { n = split(list, a, /[ \t]+/); for (i = 1; i <= n; i++) if (a[i] == word) return 1; return 0 }
      function stanza() {
        if (has(f["types"], "deb") && has(f["suites"], suite) && has(f["components"], "main") && tolower(f["enabled"]) != "no") {
          split(f["uris"], u, /[ \t]+/); print u[1]; found = 1; exit
        }
        delete f
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { stanza(); next }
      /^[A-Za-z-]+:/ { key = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1);
                       gsub(/^[ \t]+|[ \t]+$/, "", v); f[key] = v; next }
      /^[ \t]/ { v = $0; gsub(/^[ \t]+|[ \t]+$/, "", v); f[key] = f[key] " " v }
      END { if (!found) stanza() }' "$f"
  done
}

ensure_tools() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v jq >/dev/null || missing+=(jq)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_tools
mirror=$(debian_mirror | head -1)
[ -n "$mirror" ] || die "no apt sources entry serves '$SUITE main' (looked in /etc/apt/sources.list and /etc/apt/sources.list.d/); add one"
proxy=$(apt-config shell P Acquire::http::Proxy | sed -n "s/^P='\(.*\)'$/\1/p")
[ -z "$proxy" ] || export http_proxy=$proxy
log "Debian $SUITE with $PACKAGES from $mirror (one-off, a few minutes)"

work=$(mktemp -d "${TMPDIR:-/tmp}/quartet-base-image.XXXXXX")
cleanup() {
  # debootstrap mounts proc and sys in the target; never leave them behind
  local m; for m in $(awk -v r="$work/rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
rootfs=$work/rootfs
if ! debootstrap --variant=minbase --include="$PACKAGES" --components=main "$SUITE" "$rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1; then
  tail -30 "$work/debootstrap.log" >&2
  [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -30 "$rootfs/debootstrap/debootstrap.log" >&2
  die "debootstrap failed"
fi
[ -x "$rootfs$JAVA_HOME/bin/java" ] || die "no java at $JAVA_HOME after debootstrap"
# java finds its libraries through /proc/self/exe: give the check a /proc of its own
unshare --mount --propagation private sh -c 'mount -t proc proc "$1/proc" && chroot "$1" java -version' sh "$rootfs" \
  >"$work/java-version" 2>&1 || { cat "$work/java-version" >&2; die "java does not run in the new root filesystem"; }
log "$(head -1 "$work/java-version")"

# What a container runtime provides (devices, host files) or an image should not carry (caches, the
# build machine's mirror, documentation; copyright files stay).
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/dev/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/* \
  "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/info/* "$rootfs"/tmp/* "$rootfs"/root/.??* "$rootfs"/etc/apt/sources.list
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
: >"$rootfs/etc/resolv.conf"; : >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
echo "quartet:x:$USER_ID:$USER_ID:Quartet:/nonexistent:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
echo "quartet:x:$USER_ID:" >>"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"

mkdir -p "$OUT"
write_layer "$rootfs" "$OUT/rootfs.tar.gz"
jq -cn --arg java_home "$JAVA_HOME" --arg user "$USER_ID:$USER_ID" \
  --arg packages "$(chroot "$rootfs" dpkg-query -W -f '${Package}=${Version} ' $PACKAGES)" '{
  architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
  config: {
    Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "JAVA_HOME=" + $java_home,
          "LANG=C.UTF-8"],
    User: $user, WorkingDir: "/"
  },
  history: [{created: "1970-01-01T00:00:00Z",
             created_by: ("debootstrap --variant=minbase bookworm, " + $packages + "(hack/images/base-image.sh)")}]
}' >"$OUT/config.json"
write_archive "$OUT/image.tar" "quartet-base:$(basename "$OUT")" "$(cat "$OUT/config.json")" "$OUT/rootfs.tar.gz"
log "wrote $OUT/image.tar ($(du -h "$OUT/image.tar" | cut -f1))"
