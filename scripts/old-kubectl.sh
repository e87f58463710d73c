#!/usr/bin/env bash
# Unpacks Debian's kubernetes-client (kubectl 1.20, which speaks SPDY/3.1 for exec, attach and
# port-forward) into /var/lib/berth-ci/kubectl-1.20 without replacing the kubectl on PATH, and
# prints the binary's path. Tests find it there (or through BERTH_OLD_KUBECTL). Needs root and apt.
set -euo pipefail
dest=${BERTH_OLD_KUBECTL_DIR:-/var/lib/berth-ci/kubectl-1.20}
bin="$dest/usr/bin/kubectl"
if [ ! -x "$bin" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && { apt-get download kubernetes-client >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download kubernetes-client >/dev/null; }; })
  mkdir -p "$dest"
  dpkg -x "$work"/kubernetes-client_*.deb "$dest"
fi
"$bin" version --client >/dev/null 2>&1 || { echo "old-kubectl: $bin does not run" >&2; exit 1; }
echo "$bin"
