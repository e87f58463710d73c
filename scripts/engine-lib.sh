# Shared by docker-up.sh and podman-up.sh (sourced, not run): package installation without
# starting daemons, and the Engine API health check. Expects $SOCK to be set by the caller.

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
