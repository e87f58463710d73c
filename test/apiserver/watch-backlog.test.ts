import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { WatchBacklog, type WatchBacklogEntry } from '../../src/apiserver/watch-backlog.js';
import { createLogger } from '../../src/log/index.js';
import { call, nodeBody, NODE, openWatch, startTestServer, TOKEN, waitFor, type TestServer } from './helpers.js';

describe('WatchBacklog', () => {
  const entry = (name: string, pending: { bytes: number }, dropped: string[]): WatchBacklogEntry => ({
    pending: () => pending.bytes,
    drop: () => dropped.push(name),
  });

  it('ends the watches with the most unsent bytes first, only as many as bring the total under the bound', () => {
    const b = new WatchBacklog(1000);
    const dropped: string[] = [];
    const sizes = { slow: { bytes: 0 }, slower: { bytes: 0 }, fast: { bytes: 0 } };
    const e = Object.fromEntries(Object.entries(sizes).map(([n, p]) => [n, entry(n, p, dropped)]));
    for (const x of Object.values(e)) b.add(x);
    sizes.fast.bytes = 100;
    b.wrote(e.fast!);
    sizes.slow.bytes = 400;
    b.wrote(e.slow!);
    sizes.slower.bytes = 600;
    b.wrote(e.slower!);
    assert.deepEqual(dropped, ['slower']);
    assert.equal(b.size, 2);
  });

  it('measures again before dropping: sockets that drained since do not count', () => {
    const b = new WatchBacklog(1000);
    const dropped: string[] = [];
    const a = { bytes: 900 };
    const c = { bytes: 0 };
    const ea = entry('a', a, dropped);
    const ec = entry('c', c, dropped);
    b.add(ea);
    b.add(ec);
    b.wrote(ea);
    a.bytes = 0; // the client read it all, unseen by the backlog
    c.bytes = 500;
    b.wrote(ec);
    assert.deepEqual(dropped, []);
  });
});

/** A watch whose client reads nothing (its socket is paused): its events pile up in the server. */
function stalledWatch(ts: TestServer, path: string): { close(): void } {
  const req = httpsRequest(new URL(path, ts.server.url), { headers: { Authorization: `Bearer ${TOKEN}` }, ca: ts.server.caCertPem }, (res: IncomingMessage) => {
    res.pause();
    res.socket.pause();
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { close: () => req.destroy() };
}

describe('the embedded API bounds the unsent events of all watches together', () => {
  it('ends stalled watches (the global bound, not the per-watch one), keeps the one that reads', async (t) => {
    const lines: Array<Record<string, unknown> & { msg: string }> = [];
    const logger = createLogger({ level: 'warn', json: true, write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown> & { msg: string }) });
    const ts = await startTestServer({ watchBacklogBytes: 4 * 1024 * 1024, logger });
    t.after(() => ts.close());
    assert.equal((await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() })).status, 201);
    const stalled = Array.from({ length: 12 }, () => stalledWatch(ts, '/api/v1/nodes?watch=1'));
    t.after(() => stalled.forEach((s) => s.close()));
    const reader = openWatch(ts, '/api/v1/nodes?watch=1');
    t.after(() => reader.close());
    assert.equal(await reader.status, 200);
    const big = 'x'.repeat(200 * 1024);
    // A paused client does not see its connection end: count the server's word for it.
    const slowEnded = () => lines.filter((l) => l.msg.startsWith('apiserver: ending the slowest watch'));
    // Each change is ~200 KB to every watcher: 12 stalled ones soon hold more than the 4 MiB bound
    // between them, while each stays far under the 16 MiB a single watch may hold (60 * 200 KB).
    for (let i = 0; i < 60; i++) {
      const r = await call(ts, 'PATCH', `/api/v1/nodes/${NODE}`, {
        body: { metadata: { annotations: { big: `${i}${big}` } } },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(r.status, 200, r.text);
    }
    await waitFor(() => slowEnded().length >= 1, 'stalled watches were ended', 30_000);
    assert.equal(lines.filter((l) => l.msg.startsWith('apiserver: dropping a watch whose client does not read')).length, 0, 'not by the per-watch limit');
    for (const l of slowEnded()) assert.ok((l.allWatchesPendingBytes as number) > 4 * 1024 * 1024 && l.resource === 'nodes');
    // The reader got every change and is still connected.
    await reader.waitFor((e) => String(e.object?.metadata?.annotations?.big ?? '').startsWith('59'), 'the last change', 30_000);
    assert.equal(reader.events.filter((e) => e.type === 'MODIFIED').length, 60);
    let readerEnded = false;
    void reader.ended.then(() => (readerEnded = true));
    await call(ts, 'PATCH', `/api/v1/nodes/${NODE}`, { body: { metadata: { annotations: { big: 'after' } } }, contentType: 'application/merge-patch+json' });
    await reader.waitFor((e) => e.object?.metadata?.annotations?.big === 'after', 'a change after the stalled ones were dropped', 10_000);
    assert.equal(readerEnded, false);
  });
});
