// Issue 8's bad input for the streams, with the real agent on the process runtime (host processes,
// so the tests can see them live and die): refused credentials on an exec upgrade run nothing, `..`
// and encoded slashes in stream paths, a client that vanishes mid-exec (its process is killed), 50
// execs at once through the embedded API, a 1 GB kubectl cp both ways, and a port-forward whose
// target hangs up half-way.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { parse } from 'yaml';
import { freePort, NODE, processAlive, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';
import { nodeCa, nodeRequest, nodeToken } from './node-api.js';

const POD = `sleeper-${NODE}`;

/** The headers of a WebSocket upgrade, for requests sent by hand. */
const UPGRADE = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': Buffer.from('berth-bad-input!').toString('base64'),
  'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
};

interface Endpoint {
  base: string;
  ca: string;
  token: string | null;
}

interface Session {
  ws: WebSocket;
  /** Bytes received per channel. */
  channels: Map<number, Buffer>;
  closed: Promise<number>;
}

/** A WebSocket session to `path`, or the HTTP status of the refused upgrade. */
function open(at: Endpoint, path: string, protocol: string): Promise<Session | { refused: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(at.base.replace(/^https/, 'wss') + path, [protocol], { ca: at.ca, headers: at.token ? { Authorization: `Bearer ${at.token}` } : {} });
    const channels = new Map<number, Buffer>();
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      channels.set(data[0]!, Buffer.concat([channels.get(data[0]!) ?? Buffer.alloc(0), data.subarray(1)]));
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ refused: res.statusCode ?? 0, body }));
    });
    ws.on('error', reject);
    ws.on('open', () => resolve({ ws, channels, closed }));
  });
}

function session(r: Session | { refused: number; body: string }): Session {
  if ('refused' in r) assert.fail(`the upgrade was refused: ${r.refused} ${r.body}`);
  return r;
}

const text = (s: Session, channel: number) => (s.channels.get(channel) ?? Buffer.alloc(0)).toString('utf8');

/** The node API's exec path (the kubelet's query names: command, input, output, error). */
const nodeExec = (command: string[], pod = POD) => `/exec/default/${pod}/main?${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&output=1&error=1`;
/** The embedded API's exec path (the names kubectl sends). */
const apiExec = (command: string[]) => `/api/v1/namespaces/default/pods/${POD}/exec?container=main&stdout=true&stderr=true&${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}`;

describe('streams: bad input and hard cases (process runtime)', () => {
  let ws: Workspace;
  let berth: Berth;
  let node: Endpoint;
  let api: Endpoint;
  let target: Server | undefined;

  before(async () => {
    ws = workspace();
    ws.write('sleeper.json', shPod('sleeper', 'sleep 3600', { grace: 1 }));
    berth = await startBerth(ws);
    await waitFor(async () => (await berth.pod(POD))?.status?.phase === 'Running', 'sleeper Running', 60_000);
    node = { base: `https://127.0.0.1:${berth.port}`, ca: nodeCa(ws.root), token: nodeToken(ws.root) };
    const kubeconfig = parse(readFileSync(String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig), 'utf8')) as {
      clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
      users: Array<{ user: { token: string } }>;
    };
    api = { base: kubeconfig.clusters[0]!.cluster.server, ca: Buffer.from(kubeconfig.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(), token: kubeconfig.users[0]!.user.token };
  });

  after(async () => {
    target?.close();
    await berth?.stop();
    await ws?.cleanup();
  });

  it('an exec upgrade without credentials or with a wrong token is 401, on the node API and the embedded API, and nothing runs', async () => {
    for (const [name, at, path] of [
      ['node, no token', { ...node, token: null }, nodeExec(['touch', join(ws.dir, 'ran-node-none')])],
      ['node, wrong token', { ...node, token: 'wrong' }, nodeExec(['touch', join(ws.dir, 'ran-node-wrong')])],
      ['api, no token', { ...api, token: null }, apiExec(['touch', join(ws.dir, 'ran-api-none')])],
      ['api, wrong token', { ...api, token: 'wrong' }, apiExec(['touch', join(ws.dir, 'ran-api-wrong')])],
    ] as const) {
      const r = await open(at, path, 'v5.channel.k8s.io');
      assert.ok('refused' in r, `${name}: the upgrade must be refused`);
      assert.equal(r.refused, 401, `${name}: ${r.body}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const marker of ['ran-node-none', 'ran-node-wrong', 'ran-api-none', 'ran-api-wrong']) assert.ok(!existsSync(join(ws.dir, marker)), `${marker}: nothing ran`);
  });

  it('stream paths with .. or an encoded slash are refused (400) and run nothing', async () => {
    const marker = join(ws.dir, 'ran-path');
    for (const path of [
      `/exec/default/../default/${POD}/main?command=touch&command=${encodeURIComponent(marker)}&output=1`,
      `/exec/default/${POD}%2F..%2F${POD}/main?command=touch&command=${encodeURIComponent(marker)}&output=1`,
      `/portForward/default/..%2F${POD}?port=80`,
      `/attach/default/${POD}/..%2Fmain?output=1`,
    ]) {
      // Sent as written: a WebSocket client would resolve the dots in its URL first.
      const r = await nodeRequest(ws.root, berth.port, path, { headers: UPGRADE });
      assert.equal(r.status, 400, `${path}: ${r.body}`);
    }
    assert.ok(!existsSync(marker), 'nothing ran');
  });

  it('a client that disconnects mid-exec: the exec’d process is killed (kubectl killed, and a socket dropped)', async () => {
    // Through the node API: the socket vanishes without a close frame.
    const s = session(await open(node, nodeExec(['sh', '-c', 'echo $$; exec sleep 300']), 'v4.channel.k8s.io'));
    await waitFor(() => /^\d+\n/.test(text(s, 1)), 'the exec prints its pid', 30_000);
    const pid = Number(text(s, 1).trim());
    assert.ok(processAlive(pid), 'the exec runs');
    s.ws.terminate();
    await waitFor(() => !processAlive(pid), `exec'd process ${pid} killed after the client went away`, 30_000);

    // Through the embedded API with kubectl, killed hard.
    const kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    const child = spawn('kubectl', ['exec', POD, '--', 'sh', '-c', 'echo $$; exec sleep 300'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /^\d+\n/.test(out), 'kubectl exec prints the pid', 60_000);
    const viaKubectl = Number(out.trim());
    assert.ok(processAlive(viaKubectl));
    child.kill('SIGKILL');
    await waitFor(() => !processAlive(viaKubectl), `process ${viaKubectl} killed after kubectl died`, 30_000);
    assert.equal((await berth.get('/healthz')).status, 200);
  });

  it('a 1 GB kubectl cp into the pod and back: every byte arrives, and the agent does not buffer the stream', async () => {
    const kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const big = join(ws.dir, 'big.bin');
    // Not zeros: a compressing or short-cutting path would hide lost or reordered bytes.
    const made = spawnSync('sh', ['-c', `head -c 1073741824 /dev/urandom > ${big}`]);
    assert.equal(made.status, 0, String(made.stderr));
    const inPod = `/tmp/berth-cp-${process.pid}.bin`;
    const back = join(ws.dir, 'back.bin');
    const rssKb = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${berth.proc.pid}/status`, 'utf8'))?.[1] ?? 0);
    const before = rssKb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb())), 200);
    try {
      const up = spawnSync('kubectl', ['cp', big, `${POD}:${inPod}`, '-c', 'main'], { env, encoding: 'utf8', timeout: 600_000 });
      assert.equal(up.status, 0, `kubectl cp up: ${up.stderr}`);
      const down = spawnSync('kubectl', ['cp', `${POD}:${inPod}`, back, '-c', 'main'], { env, encoding: 'utf8', timeout: 600_000 });
      assert.equal(down.status, 0, `kubectl cp down: ${down.stderr}`);
    } finally {
      clearInterval(sampler);
      rmSync(inPod, { force: true });
    }
    const sum = (path: string) => spawnSync('sha256sum', [path], { encoding: 'utf8' }).stdout.split(' ')[0];
    assert.equal(statSync(back).size, 1073741824);
    assert.equal(sum(back), sum(big), 'the copy that came back is the file that went up');
    // 1 GB each way went through the embedded API and the node API: what the agent holds of it
    // at any time is bounded by the streams' windows, not by the file.
    assert.ok(peak - before < 256 * 1024, `the agent grew by ${Math.round((peak - before) / 1024)} MB during the copies`);
    rmSync(big, { force: true });
    rmSync(back, { force: true });
  });

  it('50 concurrent execs through the embedded API each get their own output and exit code', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const s = session(await open(api, apiExec(['sh', '-c', `echo exec-${i}; exit ${i % 5}`]), 'v5.channel.k8s.io'));
        const code = await s.closed;
        return { i, code, out: text(s, 1), status: JSON.parse(text(s, 3) || '{}') as { status?: string; details?: { causes?: Array<{ message: string }> } } };
      }),
    );
    for (const r of results) {
      assert.equal(r.code, 1000, `exec ${r.i} closed normally`);
      assert.equal(r.out, `exec-${r.i}\n`);
      const exit = r.i % 5;
      if (exit === 0) assert.equal(r.status.status, 'Success', `exec ${r.i}`);
      else assert.equal(r.status.details?.causes?.[0]?.message, String(exit), `exec ${r.i}`);
    }
    assert.equal(berth.proc.exitCode, null, 'berth still runs');
  });

  it('a port-forward whose target closes half-way: the data sent arrives, the stream ends, the next one works', async () => {
    const port = await freePort();
    const half = Buffer.alloc(256 * 1024, 7);
    target = createServer((socket) => {
      socket.on('error', () => undefined);
      // Half of what a client might expect, then the server goes away without a word. It reads the
      // client's bytes first: closing a socket with unread input sends a TCP reset, and the kernel
      // drops what is still queued to send (the test once got 128 000 of the 262 144 bytes).
      socket.once('data', () => socket.write(half, () => socket.destroy()));
    });
    await new Promise<void>((resolve) => target!.listen(port, '127.0.0.1', () => resolve()));
    for (let round = 0; round < 2; round++) {
      const s = session(await open(api, `/api/v1/namespaces/default/pods/${POD}/portforward?ports=${port}`, 'v4.channel.k8s.io'));
      s.ws.send(Buffer.from([0, 1, 2, 3]));
      const code = await Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(-1), 60_000))]);
      assert.notEqual(code, -1, `round ${round}: the tunnel closed after the target did`);
      // Each channel starts with the port (2 bytes little-endian) as upstream sends it.
      const data = s.channels.get(0)!;
      assert.equal(data.readUInt16LE(0), port);
      assert.equal(data.length - 2, half.length, `round ${round}: all ${half.length} bytes before the close`);
      assert.ok(data.subarray(2).every((b) => b === 7));
    }
    assert.equal((await berth.get('/healthz')).status, 200);
  });
});
