#!/usr/bin/env bash
# Stops the podman API service started by scripts/podman-up.sh. Podman has no daemon beyond it:
# containers keep running under their conmon; `--containers` also stops and removes every container
# carrying berth's label.
#
# Usage (as root): scripts/podman-down.sh [STATE_DIR] [--containers]   (default /var/lib/berth-ci/podman)
set -uo pipefail
# shellcheck source=engine-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

STATE_DIR=/var/lib/berth-ci/podman
CONTAINERS=0
for arg in "$@"; do
  case "$arg" in
    --containers) CONTAINERS=1 ;;
    *) STATE_DIR="$arg" ;;
  esac
done
SOCK="${PODMAN_SOCK:-/run/podman/podman.sock}"
PIDFILE="$STATE_DIR/podman-service.pid"
[ -f "$STATE_DIR/containers.conf" ] && export CONTAINERS_CONF="$STATE_DIR/containers.conf"

log() { echo "podman-down: $*" >&2; }

if [ "$CONTAINERS" = 1 ] && command -v podman >/dev/null; then
  ids="$(podman ps -aq --filter label=berth.managed=true 2>/dev/null || true)"
  if [ -n "$ids" ]; then
    log "removing berth's containers"
    # shellcheck disable=SC2086
    podman rm -f -t 2 $ids >/dev/null 2>&1 || true
  fi
fi

if [ -f "$PIDFILE" ]; then
  pid="$(cat "$PIDFILE")"
  if alive "$pid"; then
    log "stopping the podman service (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then log "it did not exit; killing it"; kill -KILL "$pid"; fi
  fi
  rm -f "$PIDFILE"
else
  log "no pid file at $PIDFILE; nothing to stop"
fi
rm -f "$SOCK"
log "done"
