#!/usr/bin/env bash
# Stops the dockerd started by scripts/docker-up.sh and removes what it leaves behind (its iptables
# chains and the docker0 bridge: dockerd does not remove them on exit).
#
# Usage (as root): scripts/docker-down.sh [STATE_DIR] [--purge]   (default /var/lib/berth-ci/docker)
#   --purge also deletes STATE_DIR (images, containers, logs).
# Containers keep no state outside dockerd; running ones are stopped by dockerd on shutdown.
set -uo pipefail
# shellcheck source=engine-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

STATE_DIR=/var/lib/berth-ci/docker
PURGE=0
for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=1 ;;
    *) STATE_DIR="$arg" ;;
  esac
done
SOCK="${DOCKER_SOCK:-/var/run/docker.sock}"
PIDFILE="$STATE_DIR/dockerd.pid"

log() { echo "docker-down: $*" >&2; }

if [ -f "$PIDFILE" ]; then
  pid="$(cat "$PIDFILE")"
  if alive "$pid"; then
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    # dockerd stops its containers first (10 s grace each by default): wait up to 40 s.
    for _ in $(seq 1 400); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then log "dockerd did not exit; killing it"; kill -KILL "$pid"; sleep 0.5; fi
  fi
  rm -f "$PIDFILE"
else
  log "no pid file at $PIDFILE; nothing to stop"
fi
rm -f "$SOCK"

# dockerd's own containerd (started when no system containerd answered) exits with it; its shims
# of stopped containers are gone too. Unmount what the exec root still holds.
if [ -d "$STATE_DIR/exec" ]; then
  grep " $STATE_DIR/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
fi

# iptables chains dockerd created (both the nft and legacy front ends, whichever is in use).
for ipt in iptables iptables-legacy; do
  command -v "$ipt" >/dev/null || continue
  "$ipt" -t nat -S 2>/dev/null | grep -q DOCKER || "$ipt" -t filter -S 2>/dev/null | grep -q DOCKER || continue
  log "removing DOCKER chains ($ipt)"
  "$ipt" -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER 2>/dev/null
  "$ipt" -t nat -D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER 2>/dev/null
  # The MASQUERADE rule for the default bridge network.
  "$ipt" -t nat -S POSTROUTING 2>/dev/null | grep -- '-o docker0 -j MASQUERADE\|! -o docker0 -j MASQUERADE' |
    sed 's/^-A /-D /' | while read -r rule; do eval "$ipt -t nat $rule" 2>/dev/null; done
  "$ipt" -t filter -S FORWARD 2>/dev/null | grep -E 'DOCKER|docker0' |
    sed 's/^-A /-D /' | while read -r rule; do eval "$ipt -t filter $rule" 2>/dev/null; done
  for table in nat filter; do
    for chain in DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null
    done
    for chain in DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do
      "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done

if ip link show docker0 >/dev/null 2>&1; then
  log "removing the docker0 bridge"
  ip link set docker0 down 2>/dev/null
  ip link delete docker0 2>/dev/null
fi

if [ "$PURGE" = 1 ] && [ -d "$STATE_DIR" ]; then
  log "deleting $STATE_DIR"
  rm -rf "$STATE_DIR"
fi
log "done"
