// The embedded API keeps an idle connection as kube-apiserver does (http.Server IdleTimeout 90 s):
// the agent's mirror updates the node status and lease every 10 s, and with Node's default of 5 s
// each update opened a new TLS connection (a handshake on both sides, in the same process).
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, TOKEN, type TestServer } from './helpers.js';

function get(ts: TestServer, agent: Agent, path: string): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, ts.server.url), { agent, ca: ts.server.caCertPem, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a connection idle for longer than 5 s is still open for the next request', async (t) => {
  const ts = await startTestServer();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await ts.close();
  });
  assert.deepEqual(await get(ts, agent, '/api/v1/nodes'), { status: 200, reused: false });
  await sleep(6500);
  assert.deepEqual(await get(ts, agent, '/api/v1/nodes'), { status: 200, reused: true }, 'the server closed the idle connection');
});
