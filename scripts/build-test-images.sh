#!/usr/bin/env bash
# Builds the two container images the tests and benchmarks use, without a registry or the internet:
#   OUTDIR/busybox.tar  docker.io/library/busybox:latest and berth.test/busybox:1 (default CMD sh)
#   OUTDIR/pause.tar    registry.k8s.io/pause:3.6 (the pod sandbox image: sleeps until SIGTERM)
# Both are docker-archive tars (manifest.json + config + one layer, sha256 digests), which
# `ctr -n k8s.io images import`, `docker load` and `podman load` all accept.
# The layer is Debian's busybox-static binary plus one symlink per applet (installed if missing).
#
# Usage: scripts/build-test-images.sh OUTDIR
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR   (writes OUTDIR/busybox.tar and OUTDIR/pause.tar)" >&2
  exit 2
fi
OUT="$1"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

log() { echo "build-test-images: $*" >&2; }
fail() { echo "build-test-images: ERROR: $*" >&2; exit 1; }

BUSYBOX=/bin/busybox
if ! [[ -x "$BUSYBOX" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    fail "$BUSYBOX (Debian package busybox-static) is missing; install it as root: apt-get install -y busybox-static"
  fi
  log "installing busybox-static"
  if ! apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends busybox-static >/dev/null 2>&1; then
    apt-get update -qq || fail "apt-get update failed; cannot install busybox-static"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends busybox-static >/dev/null ||
      fail "apt-get install busybox-static failed"
  fi
fi
[[ -x "$BUSYBOX" ]] || fail "$BUSYBOX still missing after installing busybox-static"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  fail "$BUSYBOX is dynamically linked (the 'busybox' package?); the image needs the static one: apt-get install -y busybox-static"
fi

case "$(uname -m)" in
  x86_64) ARCH=amd64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  armv7l | armv6l) ARCH=arm ;;
  i?86) ARCH=386 ;;
  ppc64le) ARCH=ppc64le ;;
  s390x) ARCH=s390x ;;
  riscv64) ARCH=riscv64 ;;
  *) fail "unknown machine architecture $(uname -m)" ;;
esac

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# --- the root filesystem: busybox, its applets, and the few files programs expect -------------
ROOTFS="$WORK/rootfs"
mkdir -p "$ROOTFS"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/www,home}
chmod 1777 "$ROOTFS/tmp"
chmod 700 "$ROOTFS/root"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
chmod 755 "$ROOTFS/bin/busybox"
# --list-full gives each applet's usual place (bin/sh, usr/bin/wget, sbin/ifconfig, ...).
while read -r applet; do
  [[ -z "$applet" || "$applet" == "bin/busybox" ]] && continue
  mkdir -p "$ROOTFS/$(dirname "$applet")"
  ln -sf /bin/busybox "$ROOTFS/$applet"
done < <("$BUSYBOX" --list-full)
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
: >"$ROOTFS/etc/hosts"
: >"$ROOTFS/etc/resolv.conf"

# Reproducible layer: sorted names, fixed owner and time (same bytes -> same digest on every run).
LAYER="$WORK/layer.tar"
tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --no-recursion -C "$ROOTFS" -cf "$LAYER" -T <(cd "$ROOTFS" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
LAYER_SHA="$(sha256sum "$LAYER" | cut -d' ' -f1)"

# --- one docker-archive per image ------------------------------------------------------------
# $1 archive name, $2 JSON array of RepoTags, $3 the "config" object (Entrypoint/Cmd/Env/...).
write_archive() {
  local name="$1" tags="$2" runconfig="$3"
  local dir="$WORK/$name"
  mkdir -p "$dir/$LAYER_SHA"
  cp "$LAYER" "$dir/$LAYER_SHA/layer.tar"
  local config
  config=$(printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"berth scripts/build-test-images.sh"}]}' \
    "$ARCH" "$runconfig" "$LAYER_SHA")
  printf '%s' "$config" >"$dir/config.json"
  local config_sha
  config_sha="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":%s,"Layers":["%s/layer.tar"]}]' "$config_sha" "$tags" "$LAYER_SHA" >"$dir/manifest.json"
  # Entry names without a leading "./" (manifest.json, <sha>.json, <sha>/layer.tar), as `docker save` writes them.
  tar --mtime='@0' --owner=0 --group=0 --numeric-owner --no-recursion -C "$dir" -cf "$OUT/$name.tar.tmp" \
    manifest.json "$config_sha.json" "$LAYER_SHA" "$LAYER_SHA/layer.tar"
  mv "$OUT/$name.tar.tmp" "$OUT/$name.tar"
  log "wrote $OUT/$name.tar ($tags, image id sha256:$config_sha)"
}

ENV='["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'
write_archive busybox '["docker.io/library/busybox:latest","berth.test/busybox:1"]' \
  "{\"Env\":$ENV,\"Cmd\":[\"sh\"]}"
# The sandbox ("pause") container: PID 1 of the pod, must live until it is told to stop. As PID 1
# it only gets signals it handles, so trap TERM/INT; `sleep & wait` makes the trap run at once.
write_archive pause '["registry.k8s.io/pause:3.6"]' \
  "{\"Env\":$ENV,\"Entrypoint\":[\"/bin/sh\",\"-c\",\"trap 'exit 0' TERM INT; while :; do sleep 3600 & wait \$!; done\"]}"
