#!/usr/bin/env bash
# Stops the containerd that scripts/containerd-up.sh started (its pid file in STATEDIR).
# Running pods keep running under their shims, as after a real containerd restart (remove them
# first through berth or the CRI if they must go).
#
# Usage: scripts/containerd-down.sh [STATEDIR]   (default /var/lib/berth-ci/containerd)
set -euo pipefail
# shellcheck source=engine-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

STATEDIR="${1:-/var/lib/berth-ci/containerd}"
PIDFILE="$STATEDIR/containerd.pid"
SOCKET=/run/containerd/containerd.sock

log() { echo "containerd-down: $*" >&2; }
fail() { echo "containerd-down: ERROR: $*" >&2; exit 1; }

if [[ ! -f "$PIDFILE" ]]; then
  if ctr --address "$SOCKET" --connect-timeout 1s version >/dev/null 2>&1; then
    fail "containerd answers on $SOCKET but was not started by containerd-up.sh (no $PIDFILE); stop it the way it was started"
  fi
  log "containerd is not running (no $PIDFILE)"
  exit 0
fi
pid="$(cat "$PIDFILE")"
if ! alive "$pid" || [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" != */containerd ]]; then
  log "containerd (pid $pid from $PIDFILE) is not running"
  rm -f "$PIDFILE"
  exit 0
fi

log "stopping containerd (pid $pid)"
kill -TERM "$pid"
for _ in $(seq 1 100); do
  alive "$pid" || break
  sleep 0.1
done
if alive "$pid"; then
  log "containerd did not stop within 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$PIDFILE"
log "stopped"
