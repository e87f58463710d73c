// The embedded API server with the official JavaScript client (@kubernetes/client-node 1.4): its
// informer lists, watches, re-watches after the stream ends, and re-lists after a 410 Expired.
// The server ends the watch streams (as at a request timeout) and a TCP proxy between client and
// server holds the reconnection while changes pile up, so both reconnect paths happen for real.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { call, mirrorPodBody, nodeBody, startTestServer, TOKEN, waitFor, type TestServer } from './helpers.js';

class HoldingProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private held: Array<() => void> | undefined;
  port = 0;

  constructor(targetPort: number) {
    this.server = createServer((client) => {
      const connect = () => {
        const upstream = createConnection(targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          this.sockets.add(s);
          s.on('close', () => this.sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      };
      if (this.held) this.held.push(connect);
      else connect();
    });
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => ((this.port = (this.server.address() as { port: number }).port), r())));
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const connect of waiting) connect();
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('@kubernetes/client-node informer against the embedded API server', () => {
  let ts: TestServer;
  let proxy: HoldingProxy;
  let nodeUid = '';

  before(async () => {
    ts = await startTestServer({ historySize: 20 });
    proxy = new HoldingProxy(ts.server.port);
    await proxy.listen();
    nodeUid = (await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() })).json.metadata.uid;
  });

  after(async () => {
    await proxy?.close();
    await ts?.close();
  });

  it('lists, watches, re-watches after the stream ends and re-lists after 410', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'berth', server: `https://127.0.0.1:${proxy.port}`, caData: Buffer.from(ts.server.caCertPem).toString('base64') }],
      users: [{ name: 'berth', token: TOKEN }],
      contexts: [{ name: 'berth', cluster: 'berth', user: 'berth' }],
      currentContext: 'berth',
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    let lists = 0;
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => {
      lists++;
      return core.listNamespacedPod({ namespace: 'default' });
    });
    const added = new Set<string>();
    let connects = 0;
    const errors: unknown[] = [];
    informer.on('add', (p) => added.add(p.metadata?.name ?? ''));
    informer.on('connect', () => connects++);
    informer.on('error', (e) => errors.push(e));
    const create = (name: string) => call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody(name, nodeUid) });
    await create('p1');
    await informer.start();
    try {
      await waitFor(() => added.has('p1'), 'p1 from the list');
      await create('p2');
      await waitFor(() => added.has('p2'), 'p2 from the watch');

      // The server ends the stream (as at a request timeout): the informer watches again from
      // where it was and misses nothing.
      const before = connects;
      ts.server.endWatches();
      await waitFor(() => connects > before, 're-watch after the stream ended');
      await create('p3');
      await waitFor(() => added.has('p3'), 'p3 after the re-watch');
      assert.equal(lists, 1, 'a clean re-watch needs no new list');

      // While it is away, more changes than the server's history keeps: its version is too old,
      // the server answers 410 Expired and the informer lists again.
      proxy.hold();
      ts.server.endWatches();
      for (let i = 0; i < 30; i++) {
        const r = await call(ts, 'PATCH', '/api/v1/namespaces/default/pods/p1/status', {
          body: { status: { message: `change ${i}` } },
          contentType: 'application/merge-patch+json',
        });
        assert.equal(r.status, 200, r.text);
      }
      await create('p4');
      proxy.release();
      await waitFor(() => added.has('p4') && lists >= 2, 'relist after 410 brings p4', 20_000);
      assert.deepEqual(informer.list().map((p) => p.metadata?.name).sort(), ['p1', 'p2', 'p3', 'p4']);
      assert.equal(informer.get('p1', 'default')?.status?.message, 'change 29');
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});
