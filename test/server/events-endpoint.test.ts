// /events on the node API: the list, the watch (list then changes, after a resourceVersion), and a
// watcher that stops reading is dropped instead of buffered without end.
import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1';
import { serveHttp } from '../../src/server/http-endpoints.js';
import type { NodeEventChange, NodeState } from '../../src/server/node-state.js';
import { rawPath, routeNodePath } from '../../src/server/paths.js';

const event = (rv: number, message = `event ${rv}`): Event => ({ metadata: { name: `e${rv}`, resourceVersion: String(rv) }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Test', message });

describe('/events', () => {
  const items: Event[] = [event(1), event(2)];
  const listeners = new Set<(c: NodeEventChange) => void>();
  const state = {
    events: () => ({ items, resourceVersion: String(items.length) }),
    watchEvents: (l: (c: NodeEventChange) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as NodeState;
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => void serveHttp(routeNodePath(rawPath(req.url)), req, res, state));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const open = (path: string) => new Promise<IncomingMessage>((resolve, reject) => get(base + path, resolve).on('error', reject));
  const lines = (res: IncomingMessage, n: number) =>
    new Promise<NodeEventChange[]>((resolve) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        const done = text.split('\n').filter(Boolean);
        if (done.length >= n) resolve(done.slice(0, n).map((l) => JSON.parse(l) as NodeEventChange));
      });
    });
  const waitFor = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(check(), what);
  };

  it('lists an EventList with its resourceVersion', async () => {
    const res = await open('/events');
    let body = '';
    for await (const c of res) body += String(c);
    const list = JSON.parse(body) as { kind: string; items: Event[]; metadata: { resourceVersion: string } };
    assert.equal(list.kind, 'EventList');
    assert.deepEqual(list.items.map((e) => e.message), ['event 1', 'event 2']);
    assert.equal(list.metadata.resourceVersion, '2');
  });

  it('watches: the events after resourceVersion, then each change; the client leaving unsubscribes', async () => {
    const res = await open('/events?watch=1&resourceVersion=1');
    const got = lines(res, 2);
    await waitFor(() => listeners.size === 1, 'subscribed');
    for (const l of listeners) l({ type: 'MODIFIED', object: event(3, 'counted') });
    assert.deepEqual((await got).map((c) => [c.type, c.object.message]), [['ADDED', 'event 2'], ['MODIFIED', 'counted']]);
    res.destroy();
    await waitFor(() => listeners.size === 0, 'unsubscribed when the client went away');
  });

  it('drops a watcher that stops reading once 1 MiB is waiting for it', async () => {
    const res = await open('/events?watch=1&resourceVersion=2');
    res.pause();
    await waitFor(() => listeners.size === 1, 'subscribed');
    const big = event(4, 'x'.repeat(64 * 1024));
    // The socket buffers take some first; the bound holds the rest.
    for (let i = 0; i < 2000 && listeners.size > 0; i++) for (const l of [...listeners]) l({ type: 'ADDED', object: big });
    assert.equal(listeners.size, 0, 'the slow watcher was dropped');
    res.destroy();
  });
});
