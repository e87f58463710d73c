# Shared by the engine scripts (sourced, not run): package installation without
# starting daemons, the Engine API health check (needs $SOCK) and a zombie-proof liveness check.

# Answers when the Engine API on $SOCK says OK to /_ping.
ping_ok() {
  [ -S "$SOCK" ] && [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true)" = OK ]
}

# Installs Debian packages; `apt-get update` only when the package lists do not know them yet.
apt_install() {
  if ! apt-cache policy "$@" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq
  fi
  # policy-rc.d exit 101 keeps the packages' init scripts from starting daemons during install.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >/dev/null
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}

# True while process $1 runs. A zombie (it exited but nobody reaped it: PID 1 on these machines
# does not reap orphans, so a killed daemon stays one) counts as gone.
alive() {
  local pid="$1" state
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# Waits up to 30 s for the Engine API on $SOCK; on failure shows the last lines of log file $2 and
# exits. $1 names the daemon in the messages.
wait_for_ping() {
  local what="$1" logfile="$2"
  for _ in $(seq 1 300); do
    ping_ok && return 0
    sleep 0.1
  done
  log "$what did not answer on $SOCK within 30 s; last lines of $logfile:"; tail -n 20 "$logfile" >&2; exit 1
}
