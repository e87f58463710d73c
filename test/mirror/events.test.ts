// EventRecorder against a fake API server that is "down" (503) and then recovers.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { RestClient } from '../../src/mirror/index.js';
import { EventRecorder } from '../../src/mirror/events.js';
import { ApiHealth } from '../../src/mirror/health.js';
import { defer, waitFor } from './helpers.js';

test('the queue is bounded (oldest dropped) while the API server fails, then drains in order', async (t) => {
  let up = false;
  const posted: Event[] = [];
  const patched: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'starting' }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Event;
      if (req.method === 'POST') posted.push(body);
      else patched.push(`${req.url} ${JSON.stringify(body)}`);
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RestClient({ server: url, namespace: 'default', origin: 'test' });
  defer(t, () => client.close());
  const recorder = new EventRecorder({
    client,
    nodeName: 'n1',
    health: new ApiHealth(silentLogger, url),
    log: silentLogger,
    retry: { initialMs: 20, maxMs: 50 },
    maxQueued: 10,
  });
  defer(t, () => recorder.stop());
  const ref = { kind: 'Node', name: 'n1', uid: 'n1', namespace: '' };
  for (let i = 0; i < 15; i++) recorder.record(() => ref, ref, 'Normal', `R${i}`, `message ${i}`);
  assert.ok(recorder.queued <= 10, `queued ${recorder.queued}`);
  up = true;
  await waitFor('drained', () => recorder.queued === 0 && posted.length > 0);
  const reasons = posted.map((e) => e.reason);
  // Whatever was in flight when the bound was hit may survive; R5..R14 must all arrive, in order.
  assert.deepEqual(reasons.slice(-10), ['R5', 'R6', 'R7', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14']);
  assert.ok(reasons.length <= 11);
  assert.equal(posted[0]!.metadata?.namespace, 'default', 'node events live in the default namespace');
  assert.match(posted[0]!.metadata!.name!, /^n1\.[0-9a-f]+$/);

  // A repeat becomes a count patch on the same Event.
  recorder.record(() => ref, ref, 'Normal', 'R14', 'message 14');
  await waitFor('patched', () => patched.length === 1);
  assert.match(patched[0]!, /^\/api\/v1\/namespaces\/default\/events\/n1\.[0-9a-f]+ \{"count":2,"lastTimestamp":"[^"]+"\}$/);
});
