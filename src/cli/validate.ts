// `berth validate PATH...`: reads each path with the very file source `berth run` uses (same file
// filter, decoding, defaulting, validation and duplicate-name rule), once, and prints every
// problem. Exit code 1 when there is any, 0 otherwise.
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '../log/index.js';
import { formatProblem } from '../manifest/index.js';
import { FileSource, type SourceSnapshot } from '../sources/index.js';
import { parseFlags, UsageError, type FlagSpec } from './flags.js';

const VALIDATE_FLAGS: FlagSpec[] = [
  { name: 'hostname-override', type: 'string', help: 'node name used for the pod names', default: 'the host name' },
  { name: 'help', type: 'bool', help: 'show this help' },
];

export async function validateCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, VALIDATE_FLAGS, 'validate');
  if (flags.get('help')) {
    process.stdout.write('Usage: berth validate [--hostname-override NAME] PATH...\n');
    return 0;
  }
  if (positional.length === 0) throw new UsageError('berth validate needs at least one manifest file or folder, e.g. "berth validate /etc/kubelet.d"');
  const nodeName = String(flags.get('hostname-override') ?? hostname()).toLowerCase();
  // Skipped leftovers and the like are worth seeing here: the source logs them at info.
  const logger = createLogger({ json: false, level: 'info', write: (line) => process.stdout.write(`note: ${line.replace(/^\S+ INFO {2}/, '')}`) });
  // No state of a running agent is read or written: a fresh, throw-away state folder.
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-validate-'));
  let pods = 0;
  let problems = 0;
  try {
    for (const arg of positional) {
      const snapshot = await readOnce(resolve(arg), nodeName, stateDir, logger);
      for (const pod of snapshot.pods) {
        pods++;
        const origin = snapshot.origins?.get(pod.metadata?.uid ?? '') ?? arg;
        process.stdout.write(`ok: ${origin}: pod ${pod.metadata?.name}\n`);
      }
      for (const p of snapshot.problems) {
        problems++;
        process.stdout.write(`error: ${formatProblem(p)}\n`);
      }
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
  process.stdout.write(`${pods} valid pod(s), ${problems} problem(s)\n`);
  return problems ? 1 : 0;
}

async function readOnce(path: string, nodeName: string, stateDir: string, logger: ReturnType<typeof createLogger>): Promise<SourceSnapshot> {
  const source = new FileSource({ path, nodeName, checkFrequencyMs: 3_600_000, stateDir, logger, settleMs: 0 });
  let last: SourceSnapshot = { source: 'file', pods: [], problems: [] };
  try {
    await source.start((s) => (last = s));
  } finally {
    await source.stop();
  }
  return last;
}
