// `berth logs [-f] [-p|--previous] [--tail N] [--timestamps] POD [-c CONTAINER]`: a container's
// log from the node API's /containerLogs, streamed to stdout (-f follows until the container stops
// or the command is interrupted).
import { UsageError, type FlagSpec } from '../flags.js';
import { OpsError } from './errors.js';
import { NodeApiClient } from './node-api-client.js';
import { NAMESPACE_FLAGS, opsFlagHelp, parseOpsArgs } from './options.js';
import { findPod, listPods, pickContainer } from './pods.js';

const FLAGS: FlagSpec[] = [
  { name: 'container', type: 'string', help: 'the container', default: 'the only one, else the default-container annotation, else the first' },
  { name: 'c', type: 'string', help: 'short for --container' },
  { name: 'follow', type: 'bool', help: 'keep printing what the container writes' },
  { name: 'f', type: 'bool', help: 'short for --follow' },
  { name: 'previous', type: 'bool', help: "the previous attempt's log, after a restart" },
  { name: 'p', type: 'bool', help: 'short for --previous' },
  { name: 'tail', type: 'int', help: 'only the last N lines' },
  { name: 'timestamps', type: 'bool', help: 'prefix each line with its RFC3339 time' },
  ...NAMESPACE_FLAGS,
];

const USAGE = 'Usage: berth logs [-f] [-p] [--tail N] POD [-c CONTAINER] [flags]\n';

export async function logsCommand(argv: string[]): Promise<number> {
  const args = parseOpsArgs(argv, FLAGS, 'logs');
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nFlags:\n${opsFlagHelp(FLAGS)}\n`);
    return 0;
  }
  const [name, extra] = args.positional;
  if (name === undefined) throw new UsageError(`"berth logs" needs a pod name (${USAGE.trim()}; "berth get pods" lists them)`);
  const asked = (args.flags.get('container') ?? args.flags.get('c')) as string | undefined;
  // kubectl's `logs POD CONTAINER` form.
  if (extra !== undefined && asked !== undefined) throw new UsageError(`"berth logs" takes the container once: as -c ${asked} or as ${JSON.stringify(extra)}, not both`);
  const client = await NodeApiClient.connect(args.connection);
  const pod = findPod(await listPods(client, args.namespace), name, args.namespace);
  const container = pickContainer(pod, asked ?? extra, (line) => process.stderr.write(line));
  const query = new URLSearchParams();
  if (args.flags.get('follow') ?? args.flags.get('f')) query.set('follow', 'true');
  if (args.flags.get('previous') ?? args.flags.get('p')) query.set('previous', 'true');
  if (args.flags.get('timestamps')) query.set('timestamps', 'true');
  const tail = args.flags.get('tail') as number | undefined;
  if (tail !== undefined) query.set('tailLines', String(tail));
  const m = pod.metadata!;
  const path = `/containerLogs/${encodeURIComponent(m.namespace ?? 'default')}/${encodeURIComponent(m.name!)}/${encodeURIComponent(container)}?${query}`;
  const res = await client.open(path);
  await new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    res.on('end', resolve);
    res.on('error', reject);
    // Cut before its end: the agent stopped (a finished log ends cleanly).
    res.on('close', () => {
      if (!res.complete) reject(new OpsError(`the log stream from ${client.target.url} broke off (did the agent stop?); run the command again`));
    });
  });
  return 0;
}
