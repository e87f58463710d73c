// `berth validate PATH...`: reads each path with the very file source `berth run` uses (same file
// filter, decoding, defaulting, validation and duplicate-name rule), once, and prints every problem,
// then the warnings, then what the chosen runtime will do differently. Exit code 1 when there is
// any problem (including a path that does not exist or holds no manifest), 0 otherwise.
import { stat, mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '../log/index.js';
import { formatProblem, formatWarning, loadPodSchema, processRuntimeNotices, unknownFieldWarnings, type ManifestWarning } from '../manifest/index.js';
import { FileSource, type SourceSnapshot } from '../sources/index.js';
import { flagHelp, parseFlags, UsageError, type FlagSpec } from './flags.js';

const VALIDATE_FLAGS: FlagSpec[] = [
  { name: 'hostname-override', type: 'string', help: 'node name used for the pod names', default: 'the host name' },
  {
    name: 'container-runtime-endpoint',
    type: 'string',
    help: 'the runtime the manifests are meant for, as for berth run; without it the process runtime is assumed and its notes are printed',
    default: 'none: the process runtime',
  },
  { name: 'help', type: 'bool', help: 'show this help' },
];

const HELP = `Usage: berth validate [--hostname-override NAME] [--container-runtime-endpoint URL] PATH...

Checks static pod manifests exactly as "berth run" reads them, without running anything.
PATH is a manifest file or a manifest folder (files whose name starts with "." are skipped,
subfolders are not entered), as --pod-manifest-path.

What is checked, for every file:
  - the file: readable, at most 10 MiB, UTF-8 text, exactly one YAML or JSON document
    (a file starting with "{" is strict JSON: no trailing commas, no comments);
  - the object: apiVersion: v1 and kind: Pod;
  - the pod: Kubernetes' own pod validation (the rules and the field paths and messages of
    the API server), e.g. names, image, ports, env, resources, volumes and mounts, probes and
    lifecycle hooks, init and sidecar containers, security contexts, tolerations, DNS;
  - static pod rules: metadata.name is required and gets "-<node name>" appended; no
    references to API objects (service accounts, secrets, config maps, image pull secrets,
    persistent volume claims); two files must not define the same pod.

Output: one line per finding, "ok:", "error:", "warning:" or "note:" then file, field and a fix.
Warnings (e.g. a negative terminationGracePeriodSeconds, used as 1, or an unknown field such
as a misspelt "comand", which Kubernetes ignores) do not fail validation.
With the process runtime (the default) containers run "command" + "args" on the host: a
container without command is a warning, and "image" is required but not used.

Exit codes: 0 all manifests valid (warnings allowed), 1 any error or no manifest found, 2 usage error.

Flags:
`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, VALIDATE_FLAGS, 'validate');
  if (flags.get('help')) {
    process.stdout.write(`${HELP}${flagHelp(VALIDATE_FLAGS)}\n`);
    return 0;
  }
  if (positional.length === 0) throw new UsageError('berth validate needs at least one manifest file or folder, e.g. "berth validate /etc/kubernetes/manifests"');
  const nodeName = String(flags.get('hostname-override') ?? hostname()).toLowerCase();
  const processRuntime = !flags.get('container-runtime-endpoint');
  // Skipped leftovers and the like are worth seeing here: the source logs them at info. Warnings
  // are printed from the snapshot below, so the source's own warning log lines are not repeated.
  const logger = createLogger({
    json: false,
    level: 'info',
    write: (line) => {
      if (/^\S+ INFO {2}/.test(line)) process.stdout.write(`note: ${line.replace(/^\S+ INFO {2}/, '')}`);
    },
  });
  // No state of a running agent is read or written: a fresh, throw-away state folder.
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-validate-'));
  const schema = await loadPodSchema();
  let pods = 0;
  let problems = 0;
  const warnings: ManifestWarning[] = [];
  const notes = new Set<string>();
  try {
    for (const arg of positional) {
      const path = resolve(arg);
      const missing = await missingPath(path);
      if (missing) {
        problems++;
        process.stdout.write(`error: ${arg}: ${missing}\n`);
        continue;
      }
      const snapshot = await readOnce(path, nodeName, stateDir, logger);
      if (snapshot.pods.length === 0 && snapshot.problems.length === 0) {
        problems++;
        process.stdout.write(
          `error: ${arg}: holds no manifest (fix: put Pod manifests (YAML or JSON) in it; files whose name starts with "." are skipped and subfolders are not read)\n`,
        );
        continue;
      }
      for (const pod of snapshot.pods) {
        pods++;
        const origin = snapshot.origins?.get(pod.metadata?.uid ?? '') ?? arg;
        process.stdout.write(`ok: ${origin}: pod ${pod.metadata?.name}\n`);
        warnings.push(...unknownFieldWarnings(pod, schema, origin));
        if (processRuntime) {
          for (const n of processRuntimeNotices(pod, origin)) {
            if (n.severity === 'note') notes.add(n.message);
            else warnings.push(n);
          }
        }
      }
      warnings.push(...(snapshot.warnings ?? []));
      for (const p of snapshot.problems) {
        problems++;
        process.stdout.write(`error: ${formatProblem(p)}\n`);
      }
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
  for (const w of warnings) process.stdout.write(`warning: ${formatWarning(w)}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`${pods} valid pod(s), ${problems} problem(s), ${warnings.length} warning(s)\n`);
  return problems ? 1 : 0;
}

/** Why a path given on the command line cannot be validated at all, or undefined. */
async function missingPath(path: string): Promise<string | undefined> {
  try {
    await stat(path);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `does not exist (fix: check the path for a typo; give a manifest file or the manifest folder)`;
    if (code === 'EACCES' || code === 'EPERM') return `cannot be read: permission denied (fix: run berth validate as a user that can read it)`;
    return `cannot be read: ${(err as Error).message} (fix: check the path and the file system it is on)`;
  }
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
