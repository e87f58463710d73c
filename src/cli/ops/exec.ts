// `berth exec [-i] [-t] POD [-c CONTAINER] -- COMMAND...`: runs a command in a container through
// the node API's /exec over WebSocket (remote-command-client.ts), with the local terminal in raw
// mode for -t, and exits with the command's exit code.
import { UsageError, type FlagSpec } from '../flags.js';
import { NodeApiClient } from './node-api-client.js';
import { NAMESPACE_FLAGS, opsFlagHelp, parseOpsArgs } from './options.js';
import { findPod, listPods, pickContainer } from './pods.js';
import { runRemoteCommand } from './remote-command-client.js';

const FLAGS: FlagSpec[] = [
  { name: 'container', type: 'string', help: 'the container', default: 'the only one, else the default-container annotation, else the first' },
  { name: 'c', type: 'string', help: 'short for --container' },
  { name: 'stdin', type: 'bool', help: "pass this command's stdin to the container" },
  { name: 'i', type: 'bool', help: 'short for --stdin' },
  { name: 'tty', type: 'bool', help: 'a terminal in the container; the local one goes raw when stdin is one' },
  { name: 't', type: 'bool', help: 'short for --tty' },
  ...NAMESPACE_FLAGS,
];

const USAGE = 'Usage: berth exec [-i] [-t] POD [-c CONTAINER] [flags] -- COMMAND [ARG...]\n';
export async function execCommand(argv: string[]): Promise<number> {
  const dashes = argv.indexOf('--');
  const args = parseOpsArgs(dashes >= 0 ? argv.slice(0, dashes) : argv, FLAGS, 'exec');
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nFlags:\n${opsFlagHelp(FLAGS)}\n`);
    return 0;
  }
  const command = dashes >= 0 ? argv.slice(dashes + 1) : [];
  const [name, ...extra] = args.positional;
  if (name === undefined) throw new UsageError(`"berth exec" needs a pod name (${USAGE.trim()})`);
  if (extra.length) throw new UsageError(`"berth exec" takes the command after --: berth exec ${name} -- ${extra.join(' ')}`);
  if (command.length === 0) throw new UsageError(`"berth exec" needs a command after --, e.g. berth exec ${name} -- sh`);
  const stdin = Boolean(args.flags.get('stdin') ?? args.flags.get('i'));
  let tty = Boolean(args.flags.get('tty') ?? args.flags.get('t'));
  if (tty && stdin && !process.stdin.isTTY) {
    process.stderr.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    tty = false;
  }
  const client = await NodeApiClient.connect(args.connection);
  const pod = findPod(await listPods(client, args.namespace), name, args.namespace);
  const container = pickContainer(pod, (args.flags.get('container') ?? args.flags.get('c')) as string | undefined, (line) => process.stderr.write(line));
  const query = new URLSearchParams();
  for (const word of command) query.append('command', word);
  query.set('output', '1');
  if (stdin) query.set('input', '1');
  if (tty) query.set('tty', '1');
  else query.set('error', '1');
  const m = pod.metadata!;
  const url = `${client.target.url.replace(/^https:/, 'wss:')}/exec/${encodeURIComponent(m.namespace ?? 'default')}/${encodeURIComponent(m.name!)}/${encodeURIComponent(container)}?${query}`;
  const terminal = {
    size: () => (process.stdout.columns && process.stdout.rows ? { width: process.stdout.columns, height: process.stdout.rows } : undefined),
    onResize: (listener: () => void) => {
      process.stdout.on('resize', listener);
      return () => process.stdout.off('resize', listener);
    },
  };
  return withTerminal(tty && stdin && process.stdin.isTTY === true, () =>
    runRemoteCommand({
      url,
      ca: client.target.ca,
      token: client.target.token,
      stdin: stdin ? process.stdin : null,
      stdout: process.stdout,
      stderr: process.stderr,
      ...(tty ? { terminal } : {}),
      connectionError: (err) => client.connectionError(err),
    }),
  );
}

/** The local terminal raw for a tty with stdin (keys go to the container as typed), restored after. */
async function withTerminal(raw: boolean, run: () => Promise<number>): Promise<number> {
  if (raw) process.stdin.setRawMode(true);
  try {
    return await run();
  } finally {
    if (raw) process.stdin.setRawMode(false);
  }
}
