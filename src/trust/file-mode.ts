// sshd's StrictModes for the manifest path: whoever can write a manifest runs code as root on this
// node, so a manifest directory or file that someone else could change is refused.
import type { Stats } from 'node:fs';

export interface OwnerPolicy {
  /** The agent's own uid: besides root, the only owner accepted. */
  agentUid: number;
}

/** Why the path is not trusted, or undefined when it is. `what` is "manifest directory" / "manifest file". */
export function untrustedReason(path: string, st: Pick<Stats, 'uid' | 'mode'>, what: string, policy: OwnerPolicy): { message: string; fix: string } | undefined {
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  const owners = policy.agentUid === 0 ? 'root' : `root or uid ${policy.agentUid} (the agent's user)`;
  const problems: string[] = [];
  const fixes: string[] = [];
  if (st.uid !== 0 && st.uid !== policy.agentUid) {
    problems.push(`is owned by uid ${st.uid}, not ${owners}`);
    fixes.push(`chown ${policy.agentUid === 0 ? 'root' : policy.agentUid} ${path}`);
  }
  if (st.mode & 0o022) {
    problems.push(`is writable by ${st.mode & 0o020 ? (st.mode & 0o002 ? 'group and others' : 'its group') : 'others'} (mode ${mode})`);
    fixes.push(`chmod go-w ${path}`);
  }
  if (problems.length === 0) return undefined;
  return {
    message: `${what} ${problems.join(' and ')}: anyone who can change it can run code on this node, so it is refused`,
    fix: `${fixes.join(' && ')} (or run with --allow-insecure-manifest-path to accept it, as the kubelet does)`,
  };
}
