// Where the tests find the clients nobody on this project wrote: kubectl 1.20 and the official
// Python client for Debian's python3. Both are installed by .ci/run; a missing one fails the test
// that needs it (it is never skipped), naming how to install it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const OLD_KUBECTL = process.env['BERTH_OLD_KUBECTL'] || '/var/lib/berth-ci/kubectl-1.20/usr/bin/kubectl';
export const PYTHON = '/usr/bin/python3';

export function requireOldKubectl(): string {
  if (!existsSync(OLD_KUBECTL)) {
    throw new Error(`kubectl 1.20 is not at ${OLD_KUBECTL}: run \`bash scripts/old-kubectl.sh\` (as .ci/run does) or set BERTH_OLD_KUBECTL`);
  }
  return OLD_KUBECTL;
}

export function requirePythonClient(): string {
  const r = spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`the official Python client is missing for ${PYTHON}: apt-get install python3-kubernetes (as .ci/run does)\n${r.stderr}`);
  }
  return PYTHON;
}
