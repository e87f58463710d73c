// The client side of the kubelet's exec over WebSocket, v5.channel.k8s.io: every message is one
// channel byte and its payload: 0 stdin, 1 stdout, 2 stderr, 3 the outcome (a metav1.Status),
// 4 terminal size ({"Width","Height"}), 255 "this channel is closed" (v5: the end of stdin).
import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import { OpsError } from './errors.js';
import { readAll } from './node-api-client.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export const REMOTE_COMMAND_PROTOCOL = 'v5.channel.k8s.io';

export interface TerminalSize {
  width: number;
  height: number;
}

export interface RemoteCommandOptions {
  /** wss://…/exec/{ns}/{pod}/{container}?command=…&output=1… */
  url: string;
  ca: string;
  token: string;
  /** Sent on channel 0 while it lasts, then the v5 close of stdin; null: no stdin. */
  stdin: Readable | null;
  stdout: Writable;
  stderr: Writable;
  /** With a tty: the size now and its changes (channel 4). */
  terminal?: { size(): TerminalSize | undefined; onResize(listener: () => void): () => void };
  /** What a failed connection (before any answer) means, in the caller's words. */
  connectionError(err: Error): OpsError;
}

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * Runs the remote command to its end and resolves with its exit code; rejects with an OpsError
 * when it could not run (the node API's refusal, a lost connection, an internal error).
 */
export function runRemoteCommand(o: RemoteCommandOptions): Promise<number> {
  const ws = new WebSocket(o.url, [REMOTE_COMMAND_PROTOCOL], { ca: o.ca, headers: { Authorization: `Bearer ${o.token}` }, perMessageDeflate: false });
  const send = (channel: number, payload: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  };
  const sendSize = () => {
    const size = o.terminal?.size();
    if (size) send(RESIZE, Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })));
  };
  const onInput = (chunk: Buffer | string) => send(STDIN, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const onInputEnd = () => send(CLOSE, Buffer.from([STDIN]));
  let stopResize: (() => void) | undefined;
  const detach = () => {
    o.stdin?.off('data', onInput);
    o.stdin?.off('end', onInputEnd);
    o.stdin?.pause();
    stopResize?.();
  };
  return new Promise<number>((resolve, reject) => {
    let status: Status | undefined;
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      detach();
      readAll(res).then((body) => reject(new OpsError(body.trim() || `the node API refused the command with HTTP ${res.statusCode}`)), reject);
    });
    ws.on('error', (err) => {
      if (refused) return;
      detach();
      reject(o.connectionError(err));
    });
    ws.on('open', () => {
      if (ws.protocol !== REMOTE_COMMAND_PROTOCOL) {
        ws.terminate();
        return;
      }
      if (o.terminal) {
        sendSize();
        stopResize = o.terminal.onResize(sendSize);
      }
      if (o.stdin) {
        o.stdin.on('data', onInput);
        o.stdin.on('end', onInputEnd);
        o.stdin.resume();
      }
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const payload = data.subarray(1);
      if (data[0] === STDOUT) o.stdout.write(payload);
      else if (data[0] === STDERR) o.stderr.write(payload);
      else if (data[0] === ERROR) status = parseStatus(payload);
    });
    ws.on('close', () => {
      if (refused) return;
      detach();
      if (ws.protocol && ws.protocol !== REMOTE_COMMAND_PROTOCOL) {
        return reject(new OpsError(`the node API at ${new URL(o.url).host} does not speak ${REMOTE_COMMAND_PROTOCOL} (it chose ${JSON.stringify(ws.protocol)}); use an agent of the same berth version`));
      }
      if (!status) return reject(new OpsError(`the connection to ${new URL(o.url).host} closed before the command reported how it ended (did the agent stop?)`));
      if (status.status === 'Success') return resolve(0);
      const code = status.reason === 'NonZeroExitCode' ? Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message) : NaN;
      if (Number.isInteger(code)) {
        // kubectl's words, on stderr, and its exit code.
        o.stderr.write(`command terminated with exit code ${code}\n`);
        return resolve(code);
      }
      reject(new OpsError(status.message ?? 'the command failed and the agent said no more'));
    });
  });
}

function parseStatus(payload: Buffer): Status {
  try {
    return JSON.parse(payload.toString('utf8')) as Status;
  } catch {
    // Older protocols carry the failure's text alone.
    return { status: 'Failure', message: payload.toString('utf8') };
  }
}
