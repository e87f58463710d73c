// `berth validate PATH...`: reads manifests exactly as the file source of `berth run` does (same
// file filter, same decoding, defaulting and validation, same duplicate-name rule) and prints
// every problem. Exit code 1 when there is any, 0 otherwise.
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { formatProblem, podFullName, readPodManifestFile, type ManifestProblem } from '../manifest/index.js';
import { ignoredEntry } from '../sources/index.js';
import { parseFlags, UsageError, type FlagSpec } from './flags.js';

const VALIDATE_FLAGS: FlagSpec[] = [
  { name: 'hostname-override', type: 'string', help: 'node name used for the pod names', default: 'the host name' },
  { name: 'help', type: 'bool', help: 'show this help' },
];

export async function validateCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, VALIDATE_FLAGS, 'validate');
  if (flags.get('help') || positional.length === 0) {
    if (!flags.get('help')) throw new UsageError('berth validate needs at least one manifest file or folder, e.g. "berth validate /etc/kubelet.d"');
    process.stdout.write('Usage: berth validate [--hostname-override NAME] PATH...\n');
    return 0;
  }
  const nodeName = String(flags.get('hostname-override') ?? hostname()).toLowerCase();
  const problems: ManifestProblem[] = [];
  const owners = new Map<string, string>();
  let pods = 0;
  for (const arg of positional) {
    for (const file of await manifestFiles(resolve(arg), problems)) {
      const result = await readPodManifestFile(file, { nodeName, source: 'file', origin: file });
      problems.push(...result.problems);
      for (const pod of result.pods) {
        const name = podFullName(pod);
        const first = owners.get(name);
        if (first) {
          problems.push({
            origin: file,
            field: 'metadata.name',
            message: `Duplicate value: pod "${name}" is already defined by ${first}`,
            fix: 'rename one of the pods or remove one of the files',
            reason: 'FailedValidation',
          });
          continue;
        }
        owners.set(name, file);
        pods++;
        process.stdout.write(`ok: ${file}: pod ${pod.metadata?.name}\n`);
      }
    }
  }
  for (const p of problems) process.stdout.write(`error: ${formatProblem(p)}\n`);
  process.stdout.write(`${pods} valid pod(s), ${problems.length} problem(s)\n`);
  return problems.length ? 1 : 0;
}

/** The files `berth run` would read for this path, in its order (sorted, dot-files and leftovers skipped). */
async function manifestFiles(path: string, problems: ManifestProblem[]): Promise<string[]> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    problems.push({ origin: path, field: '', message: `cannot read: ${info.code ?? info.message}`, fix: 'check the path', reason: 'FailedToParse' });
    return [];
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).sort();
  const files: string[] = [];
  for (const name of names) {
    const verdict = ignoredEntry(name);
    if (verdict) {
      if (verdict.kind === 'leftover') process.stdout.write(`skipped: ${join(path, name)} (${verdict.what}; berth run ignores it too)\n`);
      continue;
    }
    const entry = await stat(join(path, name)).catch(() => undefined);
    if (entry?.isDirectory()) {
      // A folder among the manifests is not entered; only one that looks like a manifest is worth a word.
      if (/\.(ya?ml|json)$/.test(name)) files.push(join(path, name));
      continue;
    }
    files.push(join(path, name));
  }
  return files;
}
