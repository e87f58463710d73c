#!/usr/bin/env bash
# Installs Debian's docker.io (Docker Engine 20.10) if needed, starts dockerd in the background with
# its own data/exec roots, waits until the Engine API answers and loads berth's test images.
# Idempotent: a dockerd already answering on the socket is reused.
#
# Usage (as root): scripts/docker-up.sh [STATE_DIR]      (default /var/lib/berth-ci/docker)
# Environment:     DOCKER_SOCK (default /var/run/docker.sock), SKIP_IMAGES=1 to skip loading images.
#
# Why by hand and not `service docker start`: these machines have no systemd as PID 1, and the
# package's init script would use /var/lib/docker; see shared/reference/runtimes-here.md.
set -euo pipefail

STATE_DIR="${1:-/var/lib/berth-ci/docker}"
# Absolute: the daemon runs from / (see below).
mkdir -p "$STATE_DIR" && STATE_DIR="$(cd "$STATE_DIR" && pwd)"
SOCK="${DOCKER_SOCK:-/var/run/docker.sock}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIDFILE="$STATE_DIR/dockerd.pid"
LOGFILE="$STATE_DIR/dockerd.log"
# The daemon's own CLI (20.10). /usr/local/bin/docker (28.2) may come first on PATH; it works too but
# talks a newer API version, so use the matching one.
DOCKER=/usr/bin/docker

log() { echo "docker-up: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (installs packages and starts dockerd)"; exit 1
fi


# shellcheck source=engine-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

command -v curl >/dev/null || apt_install curl ca-certificates
if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DOCKER" ]; then
  log "installing docker.io"
  apt_install docker.io iptables
fi

if ping_ok; then
  log "dockerd already answers on $SOCK"
else
  mkdir -p "$STATE_DIR/data" "$STATE_DIR/exec"
  # A stale pid file or socket from a killed daemon would make dockerd refuse to start.
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "dockerd (pid $(cat "$PIDFILE")) runs but does not answer; stop it with scripts/docker-down.sh"; exit 1
  fi
  rm -f "$PIDFILE" "$SOCK"
  log "starting dockerd (data-root $STATE_DIR/data, socket $SOCK, log $LOGFILE)"
  # setsid + nohup: the daemon outlives this script and its terminal; from / so that it does not
  # depend on the folder this script was run from (a CI clone that is deleted later).
  (cd / && exec setsid nohup /usr/sbin/dockerd \
    --data-root "$STATE_DIR/data" \
    --exec-root "$STATE_DIR/exec" \
    -H "unix://$SOCK" \
    -p "$PIDFILE" \
    >>"$LOGFILE" 2>&1 </dev/null) &
  wait_for_ping "dockerd" "$LOGFILE"
  log "dockerd is up (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
fi

if [ "${SKIP_IMAGES:-0}" != 1 ]; then
  IMAGES_DIR="$STATE_DIR/images"
  if ! "$DOCKER" -H "unix://$SOCK" image inspect berth.test/busybox:1 docker.io/library/busybox:latest registry.k8s.io/pause:3.6 >/dev/null 2>&1; then
    # build-test-images.sh is written by another part of the project; wait a little if it is not there yet.
    for _ in $(seq 1 120); do [ -x "$HERE/build-test-images.sh" ] && break; sleep 1; done
    if [ ! -x "$HERE/build-test-images.sh" ]; then
      log "$HERE/build-test-images.sh is missing; cannot load the test images"; exit 1
    fi
    mkdir -p "$IMAGES_DIR"
    "$HERE/build-test-images.sh" "$IMAGES_DIR" >&2
    for tar in "$IMAGES_DIR/busybox.tar" "$IMAGES_DIR/pause.tar"; do
      "$DOCKER" -H "unix://$SOCK" load -i "$tar" >&2
    done
  fi
  log "test images present: berth.test/busybox:1 docker.io/library/busybox:latest registry.k8s.io/pause:3.6"
fi
