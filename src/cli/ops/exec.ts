// `berth exec [-i] [-t] POD [-c CONTAINER] -- COMMAND...`: runs a command in a container through
// the node API's /exec over WebSocket (v5.channel.k8s.io: channel 0 stdin, 1 stdout, 2 stderr,
// 3 the outcome as a metav1.Status, 4 terminal size, 255 the client's end of stdin), with the
// local terminal in raw mode for -t, and exits with the command's exit code.
import WebSocket from 'ws';
import { flagHelp, UsageError, type FlagSpec } from '../flags.js';
import { OpsError } from './errors.js';
import { NodeApiClient, readAll } from './node-api-client.js';
import { CONNECTION_FLAGS, NAMESPACE_FLAGS, parseOpsArgs } from './options.js';
import { findPod, listPods, pickContainer } from './pods.js';

const FLAGS: FlagSpec[] = [
  { name: 'container', type: 'string', help: 'the container (short: -c)', default: 'the only one, else the default-container annotation, else the first' },
  { name: 'c', type: 'string', help: 'short for --container' },
  { name: 'stdin', type: 'bool', help: "pass this command's stdin to the container (short: -i)" },
  { name: 'i', type: 'bool', help: 'short for --stdin' },
  { name: 'tty', type: 'bool', help: 'a terminal in the container; the local one goes raw when stdin is one (short: -t)' },
  { name: 't', type: 'bool', help: 'short for --tty' },
  ...NAMESPACE_FLAGS,
];

const USAGE = 'Usage: berth exec [-i] [-t] POD [-c CONTAINER] [flags] -- COMMAND [ARG...]\n';
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

export async function execCommand(argv: string[]): Promise<number> {
  const dashes = argv.indexOf('--');
  const args = parseOpsArgs(dashes >= 0 ? argv.slice(0, dashes) : argv, FLAGS, 'exec');
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nFlags:\n${flagHelp([...FLAGS, ...CONNECTION_FLAGS])}\n`);
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
  return runRemote(client, url, { stdin, tty });
}

function runRemote(client: NodeApiClient, url: string, o: { stdin: boolean; tty: boolean }): Promise<number> {
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
    ca: client.target.ca,
    headers: { Authorization: `Bearer ${client.target.token}` },
    perMessageDeflate: false,
  });
  const rawTerminal = o.tty && o.stdin && process.stdin.isTTY === true;
  const send = (channel: number, payload: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  };
  const sendSize = () => {
    if (process.stdout.columns && process.stdout.rows) send(RESIZE, Buffer.from(JSON.stringify({ Width: process.stdout.columns, Height: process.stdout.rows })));
  };
  const onInput = (chunk: Buffer) => send(STDIN, chunk);
  const onInputEnd = () => send(CLOSE, Buffer.from([STDIN]));
  const restore = () => {
    process.stdin.off('data', onInput);
    process.stdin.off('end', onInputEnd);
    process.stdout.off('resize', sendSize);
    if (rawTerminal) process.stdin.setRawMode(false);
    process.stdin.pause();
  };
  return new Promise<number>((resolve, reject) => {
    let status: Status | undefined;
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      readAll(res).then(
        (body) => reject(new OpsError(body.trim() || `the node API refused the exec with ${res.statusCode}`)),
        reject,
      );
    });
    ws.on('error', (err) => {
      if (refused) return;
      restore();
      reject(client.connectionError(err));
    });
    ws.on('open', () => {
      if (o.tty) {
        sendSize();
        process.stdout.on('resize', sendSize);
      }
      if (o.stdin) {
        if (rawTerminal) process.stdin.setRawMode(true);
        process.stdin.on('data', onInput);
        process.stdin.on('end', onInputEnd);
        process.stdin.resume();
      }
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const payload = data.subarray(1);
      switch (data[0]) {
        case STDOUT:
          process.stdout.write(payload);
          break;
        case STDERR:
          process.stderr.write(payload);
          break;
        case ERROR:
          try {
            status = JSON.parse(payload.toString('utf8')) as Status;
          } catch {
            status = { status: 'Failure', message: payload.toString('utf8') };
          }
          break;
      }
    });
    ws.on('close', () => {
      if (refused) return;
      restore();
      if (!status) {
        reject(new OpsError(`the connection to ${client.target.url} closed before the command reported how it ended (did the agent stop?)`));
        return;
      }
      if (status.status === 'Success') return resolve(0);
      const code = status.reason === 'NonZeroExitCode' ? Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message) : NaN;
      if (Number.isInteger(code)) {
        process.stderr.write(`command terminated with exit code ${code}\n`);
        return resolve(code);
      }
      reject(new OpsError(status.message ?? 'the command failed and the agent said no more'));
    });
  });
}
