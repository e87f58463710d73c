// Child process that runs only the embedded API server (startApiServer, no agent), so that the
// benchmark client and the server do not share one event loop (the real server lives in the
// agent, and its clients are other processes), and so that memory is measured for the server
// alone. Plain JavaScript on the compiled server (dist/, made by `npm run bench`'s build step):
// running it through the TypeScript loader would add ~30 MB of loader to every memory number.
// Driven over the fork IPC channel (types: ChildMessage / ParentMessage in api-server.ts):
//   child -> parent  { type: 'ready', url, caPem, token }
//   parent -> child  { type: 'mem', id }   child -> parent { type: 'mem', id, mem, stats, gc, watchers }
//   parent -> child  { type: 'stop' }      (the child also stops when the parent goes away)
// argv[2] is a temp folder made by the parent: certificates go in its pki/ folder, and the child
// removes it when it stops (the parent does too), so a parent that dies leaves nothing behind.
// argv[3] `durable`: keep the objects in a state file there (the agent's SQLite store), else in memory.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const send = (m) => {
  if (process.connected) process.send(m);
};
const dir = process.argv[2];
const removeDir = () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
};
process.on('exit', removeDir);
// The parent went away before we were ready (e.g. it was interrupted while starting us).
process.on('disconnect', () => process.exit(0));

async function main() {
  if (!dir) throw new Error('usage: api-child.mjs TEMP_DIR');
  const certDir = join(dir, 'pki');
  const dist = new URL('../../dist/', import.meta.url);
  if (!existsSync(new URL('apiserver/index.js', dist))) {
    throw new Error(`${new URL('apiserver/index.js', dist).pathname} is missing: run "npm run build" first (npm run bench does)`);
  }
  const { startApiServer } = await import(new URL('apiserver/index.js', dist).href);
  const { silentLogger } = await import(new URL('log/index.js', dist).href);
  const token = randomBytes(24).toString('hex');
  const stateFile = process.argv[3] === 'durable' ? join(dir, 'state.db') : undefined;
  const server = await startApiServer({ bindAddress: '127.0.0.1', port: 0, certDir, token, nodeName: 'bench', logger: silentLogger, stateFile });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.removeAllListeners('disconnect');
  process.on('disconnect', stop);
  process.on('message', (m) => {
    if (m.type === 'stop') return stop();
    if (m.type === 'mem') {
      const gc = globalThis.gc;
      // Twice: the first pass may only free what makes the second one able to free more.
      gc?.();
      gc?.();
      const u = process.memoryUsage();
      send({
        type: 'mem',
        id: m.id,
        mem: { rss: u.rss, heapTotal: u.heapTotal, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers },
        stats: server.stats(),
        gc: gc !== undefined,
        watchers: server.watchers(),
      });
    }
  });
  send({ type: 'ready', url: server.url, caPem: server.caCertPem, token });
}

main().catch((err) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
