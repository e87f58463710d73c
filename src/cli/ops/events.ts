// `berth events [-w] [-n NAMESPACE] [-o json|yaml]`: the events the agent emitted recently (kept in
// memory, /events), in kubectl's table (LAST SEEN TYPE REASON OBJECT MESSAGE), oldest first; -w
// then prints each new or repeated event as it happens.
import type { Event, EventList } from 'kubernetes-types/core/v1';
import { eventCells } from '../../apiserver/index.js';
import { UsageError, type FlagSpec } from '../flags.js';
import { OpsError } from './errors.js';
import { NodeApiClient } from './node-api-client.js';
import { NAMESPACE_FLAGS, opsFlagHelp, parseOpsArgs } from './options.js';
import { outputFormat, printObjects } from './output.js';
import { StreamingTable } from './table.js';

const FLAGS: FlagSpec[] = [
  { name: 'watch', type: 'bool', help: 'after the list, print events as they happen' },
  { name: 'w', type: 'bool', help: 'short for --watch' },
  { name: 'output', type: 'string', help: 'json or yaml' },
  { name: 'o', type: 'string', help: 'short for --output' },
  ...NAMESPACE_FLAGS,
];

const USAGE = 'Usage: berth events [-w] [-n NAMESPACE] [-o json|yaml] [flags]\n';
const HEADERS = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];

export async function eventsCommand(argv: string[]): Promise<number> {
  const args = parseOpsArgs(argv, FLAGS, 'events');
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nFlags:\n${opsFlagHelp(FLAGS)}\n`);
    return 0;
  }
  if (args.positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positional[0])} for "berth events" (${USAGE.trim()})`);
  const format = outputFormat((args.flags.get('output') ?? args.flags.get('o')) as string | undefined, ['json', 'yaml'] as const, 'events');
  const watch = Boolean(args.flags.get('watch') ?? args.flags.get('w'));
  const client = await NodeApiClient.connect(args.connection);
  const list = await client.getJson<EventList>('/events');
  // Node events have no namespace; -n shows the events of that namespace's pods.
  const wanted = (e: Event) => args.namespace === undefined || e.involvedObject?.namespace === args.namespace;
  const items = list.items.filter(wanted).sort((a, b) => Date.parse(a.lastTimestamp ?? '') - Date.parse(b.lastTimestamp ?? ''));
  const table = new StreamingTable(HEADERS);
  const row = (e: Event) => {
    const c = eventCells(e, Date.now()).map(String);
    return [c[0]!, c[1]!, c[2]!, c[3]!, c[6]!];
  };
  if (format) process.stdout.write(printObjects(format, items, false));
  else if (items.length) process.stdout.write(table.first(items.map(row)));
  else if (!watch) process.stderr.write(args.namespace === undefined ? 'No events found on this node.\n' : `No events found in ${args.namespace} namespace.\n`);
  else process.stdout.write(table.first([]));
  if (!watch) return 0;

  const res = await client.open(`/events?watch=1&resourceVersion=${encodeURIComponent(list.metadata?.resourceVersion ?? '0')}`);
  let buffered = '';
  res.setEncoding('utf8');
  // Runs until interrupted; the stream ending is an error.
  return new Promise<number>((_, reject) => {
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const change = JSON.parse(line) as { object: Event };
        if (!wanted(change.object)) continue;
        process.stdout.write(format ? printObjects(format, [change.object], true) + (format === 'yaml' ? '---\n' : '') : table.row(row(change.object)));
      }
    });
    res.on('end', () => reject(new OpsError(`the agent at ${client.target.url} ended the event watch (it stopped, or this client fell too far behind); run "berth events -w" again`)));
    res.on('error', reject);
  });
}
