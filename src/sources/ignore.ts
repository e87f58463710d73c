// Which names in a manifest directory are not manifests.
//
// Upstream kubelet loads every file matching `[^.]*`, so `web.yaml.bak`, `web.yaml~` or a
// `web.yaml.dpkg-old` left by a package upgrade is started as a second copy of the pod (or fights
// the real one for its name) — a long-standing user complaint (kubernetes#136962, kubeadm#2823).
// Berth skips these leftovers and says so once in the log, so the skip is never a mystery.

/**
 * Why a directory entry is skipped: 'hidden' (dot-file, silent, like upstream), 'signature' (the
 * detached signature `web.yaml.sig` of a manifest, read with it) or a leftover description.
 */
export type IgnoreVerdict = { kind: 'hidden' } | { kind: 'signature' } | { kind: 'leftover'; what: string };

/** Suffix of a manifest's detached signature file. */
export const SIGNATURE_SUFFIX = '.sig';

const LEFTOVER_SUFFIXES: ReadonlyArray<readonly [suffix: string, what: string]> = [
  ['~', 'editor backup file'],
  ['.swp', 'vim swap file'],
  ['.swx', 'vim swap file'],
  ['.bak', 'backup file'],
  ['.tmp', 'temporary file'],
  ['.rpmnew', 'rpm package leftover'],
  ['.rpmsave', 'rpm package leftover'],
];

// dpkg writes `.dpkg-new`, `.dpkg-old`, `.dpkg-dist`, `.dpkg-tmp`, `.dpkg-bak` and friends.
const DPKG_LEFTOVER = /\.dpkg-[A-Za-z]+$/;

/** undefined when `name` (a directory entry, not a path) should be read as a manifest. */
export function ignoredEntry(name: string): IgnoreVerdict | undefined {
  if (name.startsWith('.')) return { kind: 'hidden' };
  if (name.endsWith(SIGNATURE_SUFFIX)) return { kind: 'signature' };
  for (const [suffix, what] of LEFTOVER_SUFFIXES) {
    if (name.endsWith(suffix)) return { kind: 'leftover', what };
  }
  if (DPKG_LEFTOVER.test(name)) return { kind: 'leftover', what: 'dpkg package leftover' };
  return undefined;
}
