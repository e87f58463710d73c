// --manifest-url: the Pod or PodList served there runs with config.source http; headers are sent;
// while the URL fails its pods keep running; a changed body is applied.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { containerPid, containerState, NODE, processAlive, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

function podList(names: string[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'PodList',
    items: names.map((name) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { from: 'url' } },
      spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
    })),
  });
}

describe('pods from a URL', () => {
  let ws: Workspace;
  let berth: Berth;
  let server: Server;
  let body = podList(['u1', 'u2']);
  let status = 200;
  const seenAuth: string[] = [];

  before(async () => {
    ws = workspace();
    server = createServer((req, res) => {
      seenAuth.push(String(req.headers.authorization));
      if (req.headers.authorization !== 'Bearer x') {
        res.writeHead(401).end('no');
        return;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(status === 200 ? body : '<html>oops</html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    berth = await startBerth(ws, [`--manifest-url=http://127.0.0.1:${port}/pods.json`, '--manifest-url-header=Authorization:Bearer x', '--http-check-frequency=300ms'], {
      manifests: false,
    });
  });

  after(async () => {
    await berth?.stop();
    server?.close();
    await ws?.cleanup();
  });

  it('runs every pod of the PodList with config.source http, sending the headers', async () => {
    const pods = await waitFor(async () => {
      const all = await berth.pods();
      return all.length === 2 && all.every((p) => p.status?.phase === 'Running') ? all : undefined;
    }, 'two URL pods running');
    assert.deepEqual(pods.map((p) => p.metadata?.name).sort(), [`u1-${NODE}`, `u2-${NODE}`]);
    for (const p of pods) assert.equal(p.metadata?.annotations?.['kubernetes.io/config.source'], 'http');
    assert.ok(seenAuth.includes('Bearer x'));
  });

  it('keeps the pods running while the URL fails, and applies a changed body', async () => {
    const c = containerState(await berth.pod(`u1-${NODE}`))!;
    const pid = containerPid(ws.root, c.containerID!);
    status = 500;
    const polls = seenAuth.length;
    await waitFor(() => seenAuth.length >= polls + 3 || undefined, 'three failing polls');
    assert.ok(processAlive(pid), 'pod keeps running while the URL answers 500');
    assert.equal((await berth.pods()).length, 2);
    const metrics = (await berth.get('/metrics')).body;
    assert.match(metrics, /berth_manifest_errors\{source="http",reason="FailedToParse"\} 1/);

    status = 200;
    body = podList(['u1', 'u3']);
    await waitFor(async () => {
      const names = (await berth.pods()).map((p) => p.metadata?.name).sort();
      return names.join() === [`u1-${NODE}`, `u3-${NODE}`].join() || undefined;
    }, 'u2 removed and u3 added');
    assert.ok(processAlive(pid), 'u1 is untouched by the change');
  });
});
