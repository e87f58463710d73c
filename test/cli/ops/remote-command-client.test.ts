// The exec client's side of v5.channel.k8s.io against a small WebSocket server playing the
// kubelet: output channels, the exit code from the Status, stdin and its v5 close, the terminal
// size, and every way it can fail.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { OpsError } from '../../../src/cli/ops/errors.js';
import { runRemoteCommand, type RemoteCommandOptions } from '../../../src/cli/ops/remote-command-client.js';

type Handler = (ws: WebSocket, received: Buffer[]) => void;

const servers: WebSocketServer[] = [];
after(() => servers.forEach((s) => s.close()));

async function server(handler: Handler, refuse?: { code: number; message: string }): Promise<string> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (offered) => (offered.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
    ...(refuse ? { verifyClient: (_info: unknown, done: (ok: boolean, code?: number, message?: string) => void) => done(false, refuse.code, refuse.message) } : {}),
  });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    const received: Buffer[] = [];
    ws.on('message', (data: Buffer) => received.push(data));
    handler(ws, received);
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/exec/default/web/main?command=x`;
}

function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) }) as Writable & { text: () => string };
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}

const frame = (channel: number, text: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
const exitStatus = (code: number) =>
  JSON.stringify({ metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } });

function options(url: string, extra: Partial<RemoteCommandOptions> = {}) {
  const stdout = sink();
  const stderr = sink();
  return { stdout, stderr, o: { url, ca: '', token: 't', stdin: null, stdout, stderr, connectionError: (err: Error) => new OpsError(`connection: ${err.message}`), ...extra } };
}

describe('runRemoteCommand (v5.channel.k8s.io)', () => {
  it('writes stdout and stderr and resolves with the exit code of the Status', async () => {
    const url = await server((ws) => {
      ws.send(frame(1, ''));
      ws.send(frame(1, 'out'));
      ws.send(frame(2, 'err\n'));
      ws.send(frame(3, exitStatus(7)));
      ws.close(1000);
    });
    const { o, stdout, stderr } = options(url);
    assert.equal(await runRemoteCommand(o), 7);
    assert.equal(stdout.text(), 'out');
    assert.equal(stderr.text(), 'err\ncommand terminated with exit code 7\n');
  });

  it('sends stdin on channel 0 and its end as the v5 close of channel 0; success is 0', async () => {
    let got: Buffer[] = [];
    const url = await server((ws, received) => {
      got = received;
      ws.on('message', (data: Buffer) => {
        if (data[0] === 255) {
          ws.send(frame(1, Buffer.concat(received.filter((d) => d[0] === 0).map((d) => d.subarray(1))).toString()));
          ws.send(frame(3, JSON.stringify({ metadata: {}, status: 'Success' })));
          ws.close(1000);
        }
      });
    });
    const stdin = new PassThrough();
    const { o, stdout } = options(url, { stdin });
    const done = runRemoteCommand(o);
    stdin.write('one\n');
    stdin.end('two\n');
    assert.equal(await done, 0);
    assert.equal(stdout.text(), 'one\ntwo\n');
    assert.deepEqual([...got.at(-1)!], [255, 0]);
  });

  it('sends the terminal size first on channel 4, and again on a resize', async () => {
    let resize: (() => void) | undefined;
    const sizes: string[] = [];
    const url = await server((ws) => {
      ws.on('message', (data: Buffer) => {
        if (data[0] !== 4) return;
        sizes.push(data.subarray(1).toString());
        if (sizes.length === 1) resize!();
        else {
          ws.send(frame(3, JSON.stringify({ metadata: {}, status: 'Success' })));
          ws.close(1000);
        }
      });
    });
    let width = 80;
    const { o } = options(url, {
      terminal: {
        size: () => ({ width: width++, height: 24 }),
        onResize: (l) => ((resize = l), () => (resize = undefined)),
      },
    });
    assert.equal(await runRemoteCommand(o), 0);
    assert.deepEqual(sizes, ['{"Width":80,"Height":24}', '{"Width":81,"Height":24}']);
    assert.equal(resize, undefined, 'the resize listener is removed at the end');
  });

  it("rejects with the node API's refusal text (pod not found)", async () => {
    const url = await server(() => undefined, { code: 404, message: 'pod "web" not found in namespace "default" on this node' });
    await assert.rejects(runRemoteCommand(options(url).o), (err: Error) => err instanceof OpsError && /pod "web" not found in namespace "default"/.test(err.message));
  });

  it('rejects with the Status message of an internal error, and when no Status came', async () => {
    const failing = await server((ws) => {
      ws.send(frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: 'Internal error occurred: exec: "nope": executable file not found', reason: 'InternalError', code: 500 })));
      ws.close(1000);
    });
    await assert.rejects(runRemoteCommand(options(failing).o), /Internal error occurred: exec: "nope"/);
    const silent = await server((ws) => ws.close(1000));
    await assert.rejects(runRemoteCommand(options(silent).o), /closed before the command reported how it ended/);
  });

  it('rejects a connection that fails with the caller\'s words', async () => {
    await assert.rejects(runRemoteCommand(options('ws://127.0.0.1:1/exec/a/b/c?command=x').o), /^OpsError: connection: connect ECONNREFUSED/);
  });
});
