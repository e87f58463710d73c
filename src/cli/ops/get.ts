// `berth get pods [NAME...] [-o wide|yaml|json|name] [-w]`: the node's pods in kubectl's table
// (NAME READY STATUS RESTARTS AGE; -o wide adds IP NODE NOMINATED NODE READINESS GATES; without -n
// every namespace, with NAMESPACE first, as `kubectl get pods -A`). -w prints a row again whenever
// a pod's row changes, polling /pods (the node API has no pod watch).
import type { Pod } from 'kubernetes-types/core/v1';
import { podCells } from '../../apiserver/index.js';
import { UsageError, type FlagSpec } from '../flags.js';
import { NodeApiClient } from './node-api-client.js';
import { NAMESPACE_FLAGS, opsFlagHelp, parseOpsArgs } from './options.js';
import { outputFormat, printObjects } from './output.js';
import { findPod, listPods } from './pods.js';
import { StreamingTable } from './table.js';

const FLAGS: FlagSpec[] = [
  { name: 'output', type: 'string', help: 'wide, yaml, json or name' },
  { name: 'o', type: 'string', help: 'short for --output' },
  { name: 'watch', type: 'bool', help: 'after the list, print a pod again each time it changes' },
  { name: 'w', type: 'bool', help: 'short for --watch' },
  ...NAMESPACE_FLAGS,
];

const USAGE = 'Usage: berth get pods [NAME...] [-n NAMESPACE] [-o wide|yaml|json|name] [-w] [flags]\n';
const POLL_MS = 1000;

export async function getCommand(argv: string[]): Promise<number> {
  const args = parseOpsArgs(argv, FLAGS, 'get');
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nFlags:\n${opsFlagHelp(FLAGS)}\n`);
    return 0;
  }
  const [resource, ...names] = args.positional;
  if (resource === undefined) throw new UsageError(`"berth get" needs what to get: pods (${USAGE.trim()})`);
  if (!['pods', 'pod', 'po'].includes(resource)) {
    throw new UsageError(`"berth get" shows pods only, not ${JSON.stringify(resource)}: use "berth get pods"${resource.startsWith('ev') ? ', or "berth events" for events' : ''}`);
  }
  const format = outputFormat((args.flags.get('output') ?? args.flags.get('o')) as string | undefined, ['wide', 'yaml', 'json', 'name'] as const, 'get');
  const watch = Boolean(args.flags.get('watch') ?? args.flags.get('w'));
  const client = await NodeApiClient.connect(args.connection);
  const select = async (): Promise<Pod[]> => {
    const pods = await listPods(client, args.namespace);
    return names.length ? names.map((n) => findPod(pods, n, args.namespace)) : pods;
  };
  const printer = new PodPrinter(format, args.namespace === undefined);
  let previous = await select();
  if (previous.length === 0 && !watch) {
    process.stderr.write(args.namespace === undefined ? 'No resources found on this node.\n' : `No resources found in ${args.namespace} namespace.\n`);
    return 0;
  }
  process.stdout.write(printer.first(previous, names.length === 1));
  if (!watch) return 0;
  const seen = new Map(previous.map((p) => [uidOf(p), printer.key(p)]));
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    // A pod asked for by name that goes away ends nothing: the watch keeps looking at the rest.
    const current = names.length ? (await listPods(client, args.namespace)).filter((p) => names.some((n) => p.metadata?.name === n || p.metadata?.name === `${n}-${p.spec?.nodeName}`)) : await select();
    for (const pod of current) {
      const key = printer.key(pod);
      if (seen.get(uidOf(pod)) !== key) process.stdout.write(printer.next(pod));
      seen.set(uidOf(pod), key);
    }
    const still = new Set(current.map(uidOf));
    for (const gone of previous.filter((p) => !still.has(uidOf(p)))) {
      process.stdout.write(printer.next(gone));
      seen.delete(uidOf(gone));
    }
    previous = current;
  }
}

function uidOf(p: Pod): string {
  return p.metadata?.uid ?? `${p.metadata?.namespace}/${p.metadata?.name}`;
}

class PodPrinter {
  private readonly table: StreamingTable;

  constructor(
    private readonly format: 'wide' | 'yaml' | 'json' | 'name' | undefined,
    private readonly withNamespace: boolean,
  ) {
    const headers = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(format === 'wide' ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])];
    this.table = new StreamingTable(withNamespace ? ['NAMESPACE', ...headers] : headers);
  }

  first(pods: Pod[], single: boolean): string {
    if (this.format === 'json' || this.format === 'yaml') return printObjects(this.format, pods, single);
    if (this.format === 'name') return pods.map((p) => `pod/${p.metadata?.name}\n`).join('');
    return this.table.first(pods.map((p) => this.cells(p)));
  }

  next(pod: Pod): string {
    if (this.format === 'json' || this.format === 'yaml') return printObjects(this.format, [pod], true) + (this.format === 'yaml' ? '---\n' : '');
    if (this.format === 'name') return `pod/${pod.metadata?.name}\n`;
    return this.table.row(this.cells(pod));
  }

  /** What a watch compares: the row without the ages that change every second. */
  key(pod: Pod): string {
    if (this.format === 'json' || this.format === 'yaml') return JSON.stringify(pod.status);
    const cells = this.cells(pod);
    const age = this.withNamespace ? 5 : 4;
    return cells
      .filter((_, i) => i !== age)
      .map((c) => c.replace(/ \(.* ago\)$/, ''))
      .join('\u0000');
  }

  private cells(pod: Pod): string[] {
    const all = podCells(pod, Date.now()).cells.map(String);
    const shown = this.format === 'wide' ? all : all.slice(0, 5);
    return this.withNamespace ? [pod.metadata?.namespace ?? 'default', ...shown] : shown;
  }
}
