#!/usr/bin/env bash
# Installs Debian's podman (4.3) with runc and catatonit if needed, writes the containers.conf these
# machines need, starts `podman system service` (the Docker-compatible API) in the background and
# loads berth's test images. Idempotent: a service already answering on the socket is reused.
#
# Usage (as root): scripts/podman-up.sh [STATE_DIR]      (default /var/lib/berth-ci/podman)
# Environment:     PODMAN_SOCK (default /run/podman/podman.sock), SKIP_IMAGES=1 to skip loading images.
#
# Why each setting (shared/reference/runtimes-here.md): crun fails here with "cgroups in hybrid mode
# not supported" (so runc); `podman run` fails with "error setting rlimit type 7" without explicit
# default_ulimits, as root has no CAP_SYS_RESOURCE to raise nofile above the hard limit; there is no
# systemd (so cgroupfs and a file events logger).
set -euo pipefail

STATE_DIR="${1:-/var/lib/berth-ci/podman}"
# Absolute: the daemon runs from / (see below).
mkdir -p "$STATE_DIR" && STATE_DIR="$(cd "$STATE_DIR" && pwd)"
SOCK="${PODMAN_SOCK:-/run/podman/podman.sock}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIDFILE="$STATE_DIR/podman-service.pid"
LOGFILE="$STATE_DIR/podman-service.log"
CONF="$STATE_DIR/containers.conf"

log() { echo "podman-up: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (installs packages and starts the podman service)"; exit 1
fi


# shellcheck source=engine-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

command -v curl >/dev/null || apt_install curl ca-certificates
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || [ ! -x /usr/bin/catatonit ]; then
  log "installing podman, runc, catatonit"
  apt_install podman runc catatonit iptables
fi

mkdir -p "$STATE_DIR"
NOFILE="$(ulimit -Hn)"
cat >"$CONF" <<EOF
# Written by berth's scripts/podman-up.sh for machines without systemd and without CAP_SYS_RESOURCE.
[containers]
default_ulimits = ["nofile=${NOFILE}:${NOFILE}", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
# The service and the CLI below read this file; make plain `podman` on this machine use the same
# settings unless an administrator already wrote a containers.conf of their own.
if [ ! -e /etc/containers/containers.conf ] || grep -q "berth's scripts/podman-up.sh" /etc/containers/containers.conf; then
  mkdir -p /etc/containers
  cp "$CONF" /etc/containers/containers.conf
fi
export CONTAINERS_CONF="$CONF"

if ping_ok; then
  log "the podman service already answers on $SOCK"
else
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "podman service (pid $(cat "$PIDFILE")) runs but does not answer; stop it with scripts/podman-down.sh"; exit 1
  fi
  mkdir -p "$(dirname "$SOCK")"
  rm -f "$SOCK"
  log "starting podman system service (socket $SOCK, log $LOGFILE)"
  # From /: conmon fails ("Failed to get working directory") once the folder the service was
  # started from is deleted, e.g. a CI clone.
  (cd / && exec setsid nohup podman system service --time=0 "unix://$SOCK" >>"$LOGFILE" 2>&1 </dev/null) &
  echo $! >"$PIDFILE"
  wait_for_ping "the podman service" "$LOGFILE"
  log "podman service is up (pid $(cat "$PIDFILE"))"
fi

if [ "${SKIP_IMAGES:-0}" != 1 ]; then
  IMAGES_DIR="$STATE_DIR/images"
  if ! podman image exists berth.test/busybox:1 || ! podman image exists docker.io/library/busybox:latest ||
    ! podman image exists registry.k8s.io/pause:3.6; then
    for _ in $(seq 1 120); do [ -x "$HERE/build-test-images.sh" ] && break; sleep 1; done
    if [ ! -x "$HERE/build-test-images.sh" ]; then
      log "$HERE/build-test-images.sh is missing; cannot load the test images"; exit 1
    fi
    mkdir -p "$IMAGES_DIR"
    "$HERE/build-test-images.sh" "$IMAGES_DIR" >&2
    for tar in "$IMAGES_DIR/busybox.tar" "$IMAGES_DIR/pause.tar"; do
      podman load -i "$tar" >&2
    done
  fi
  log "test images present: berth.test/busybox:1 docker.io/library/busybox:latest registry.k8s.io/pause:3.6"
fi
