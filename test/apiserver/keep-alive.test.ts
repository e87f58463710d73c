// The embedded API keeps an idle connection as kube-apiserver does (http.Server IdleTimeout 90 s):
// the agent's mirror updates the node status and lease every 10 s, and with Node's default of 5 s
// each update opened a new TLS connection (a handshake on both sides, in the same process).
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, startTestServer } from './helpers.js';

test('a connection idle for longer than 5 s is still open for the next request', async (t) => {
  const ts = await startTestServer();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await ts.close();
  });
  const first = await call(ts, 'GET', '/api/v1/nodes', { agent });
  assert.deepEqual([first.status, first.reusedSocket], [200, false]);
  await sleep(6500);
  const second = await call(ts, 'GET', '/api/v1/nodes', { agent });
  assert.deepEqual([second.status, second.reusedSocket], [200, true], 'the server closed the idle connection');
});
