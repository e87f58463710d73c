#!/usr/bin/env bash
# Installs, configures and starts containerd (the CRI runtime berth uses with
# --container-runtime-endpoint unix:///run/containerd/containerd.sock) on a Debian machine without
# systemd, then imports the test images (no registry needed). Run as root. Idempotent: when
# containerd already answers on the socket, only the images are checked.
#
# Usage: scripts/containerd-up.sh [STATEDIR]     (default /var/lib/berth-ci/containerd)
#   STATEDIR/config.toml     the containerd config written here
#   STATEDIR/net.d/          the CNI config (bridge berth0, 10.244.0.0/24, host-local, portmap)
#   STATEDIR/containerd.log  containerd's log;  STATEDIR/containerd.pid  its pid
#   STATEDIR/images/         busybox.tar, pause.tar (scripts/build-test-images.sh)
# Stop it with scripts/containerd-down.sh [STATEDIR].
set -euo pipefail
# shellcheck source=engine-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

STATEDIR="${1:-/var/lib/berth-ci/containerd}"
SOCKET=/run/containerd/containerd.sock
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGES=(containerd runc containernetworking-plugins iptables busybox-static)
IMAGES=(docker.io/library/busybox:latest berth.test/busybox:1 registry.k8s.io/pause:3.6)
SUBNET=10.244.0.0/24

log() { echo "containerd-up: $*" >&2; }
fail() { echo "containerd-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "must run as root (it installs packages, writes $STATEDIR and starts containerd)"
mkdir -p "$STATEDIR"
STATEDIR="$(cd "$STATEDIR" && pwd)"
CONFIG="$STATEDIR/config.toml"
LOG="$STATEDIR/containerd.log"
PIDFILE="$STATEDIR/containerd.pid"
NETD="$STATEDIR/net.d"

answers() { ctr --address "$SOCKET" --connect-timeout 1s version >/dev/null 2>&1; }
cri_ok() { ctr --address "$SOCKET" --connect-timeout 1s plugins ls 2>/dev/null | awk '$2 == "cri" && $NF == "ok" { found = 1 } END { exit !found }'; }

# --- packages --------------------------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq -o DPkg::Lock::Timeout=300 || fail "apt-get update failed (network or apt sources?)"
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install ${missing[*]} failed"
fi
for bin in containerd ctr runc; do
  command -v "$bin" >/dev/null || fail "$bin not found on PATH after installing ${PACKAGES[*]}"
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap ]] ||
  fail "CNI plugins missing in /usr/lib/cni (package containernetworking-plugins)"

# --- containerd ------------------------------------------------------------------------------
if answers; then
  log "containerd already answers on $SOCKET; not starting another one"
  cri_ok || fail "containerd answers on $SOCKET but its CRI plugin is not ok (see 'ctr plugins ls'); berth needs the CRI plugin"
else
  if [[ -f "$PIDFILE" ]] && alive "$(cat "$PIDFILE")"; then
    fail "containerd (pid $(cat "$PIDFILE") from $PIDFILE) is running but does not answer on $SOCKET; see $LOG, or stop it with scripts/containerd-down.sh"
  fi

  mkdir -p "$NETD"
  # One conflist; containerd's CRI plugin loads the first file (max_conf_num = 1).
  cat >"$NETD/10-berth.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "berth",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "berth0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  # The defaults, plus what this machine kind needs (see shared/reference/runtimes-here.md):
  # restrict_oom_score_adj: without CAP_SYS_RESOURCE, runc cannot set oom_score_adj=-998 and every
  #   sandbox fails with "can't get final child's PID from pipe: EOF".
  # bin_dir: Debian installs the CNI plugins in /usr/lib/cni, not /opt/cni/bin.
  containerd config default |
    sed -e 's|^\(\s*\)restrict_oom_score_adj = false|\1restrict_oom_score_adj = true|' \
      -e 's|^\(\s*\)bin_dir = "/opt/cni/bin"|\1bin_dir = "/usr/lib/cni"|' \
      -e "s|^\(\s*\)conf_dir = \"/etc/cni/net.d\"|\1conf_dir = \"$NETD\"|" \
      -e 's|^\(\s*\)sandbox_image = .*|\1sandbox_image = "registry.k8s.io/pause:3.6"|' >"$CONFIG.tmp"
  for want in 'restrict_oom_score_adj = true' 'bin_dir = "/usr/lib/cni"' "conf_dir = \"$NETD\"" \
    'sandbox_image = "registry.k8s.io/pause:3.6"' "address = \"$SOCKET\""; do
    grep -qF "$want" "$CONFIG.tmp" || fail "could not set '$want' in the containerd config (the output of 'containerd config default' changed?)"
  done
  mv "$CONFIG.tmp" "$CONFIG"
  log "wrote $CONFIG and $NETD/10-berth.conflist"

  log "starting containerd --config $CONFIG (log $LOG)"
  # setsid: its own session, so it outlives this script and the terminal or job that ran it.
  # From /: a daemon must not keep (or depend on) the folder this script was run from.
  (cd / && exec setsid containerd --config "$CONFIG" </dev/null >>"$LOG" 2>&1) &
  pid=$!
  echo "$pid" >"$PIDFILE"
  for _ in $(seq 1 100); do
    if ! alive "$pid"; then
      tail -n 20 "$LOG" >&2 || true
      fail "containerd exited at start (its log: $LOG, last lines above)"
    fi
    answers && cri_ok && break
    sleep 0.2
  done
  answers || fail "containerd (pid $pid) did not answer on $SOCKET within 20 s; see $LOG"
  cri_ok || fail "containerd answers but its CRI plugin is not ok ('ctr plugins ls'); see $LOG"
  log "containerd is up (pid $pid, socket unix://$SOCKET)"
fi

# --- images ----------------------------------------------------------------------------------
present="$(ctr --address "$SOCKET" -n k8s.io images ls -q 2>/dev/null || true)"
need=0
for image in "${IMAGES[@]}"; do
  grep -qxF "$image" <<<"$present" || need=1
done
if [[ $need -eq 1 ]]; then
  bash "$SCRIPTS/build-test-images.sh" "$STATEDIR/images" || fail "building the test images failed"
  for tar in busybox pause; do
    log "importing $STATEDIR/images/$tar.tar into namespace k8s.io"
    ctr --address "$SOCKET" -n k8s.io images import "$STATEDIR/images/$tar.tar" >/dev/null ||
      fail "ctr images import $STATEDIR/images/$tar.tar failed"
  done
  present="$(ctr --address "$SOCKET" -n k8s.io images ls -q)"
  for image in "${IMAGES[@]}"; do
    grep -qxF "$image" <<<"$present" || fail "image $image is still missing in namespace k8s.io after the import"
  done
fi
log "images present: ${IMAGES[*]}"
log "ready: use --container-runtime-endpoint unix://$SOCKET"
