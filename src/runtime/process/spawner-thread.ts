// A spawner thread's entry point: spawns shims on request and reports their pid, handshake,
// exit and close back. Node's spawn blocks its thread until the child has exec'd (a few ms
// normally, tens on a loaded machine); here that blocks this thread, not the agent's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { parentPort } from 'node:worker_threads';
import type { SpawnerReply, SpawnerRequest } from './spawner.js';

const children = new Map<number, ChildProcess>();
const reply = (m: SpawnerReply) => parentPort!.postMessage(m);

parentPort!.on('message', (m: SpawnerRequest) => {
  if (m.kind === 'release') {
    const child = children.get(m.id);
    child?.stdout?.destroy();
    child?.unref();
    children.delete(m.id);
    return;
  }
  const { id } = m;
  let child: ChildProcess;
  try {
    child = spawn(m.file, m.args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: m.env });
  } catch (err) {
    reply({ id, kind: 'error', message: (err as Error).message });
    reply({ id, kind: 'close' });
    return;
  }
  children.set(id, child);
  reply({ id, kind: 'spawned', pid: child.pid });
  let text = '';
  let handshake = false;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    if (handshake) return;
    text += chunk;
    const started = /^(\d+) (\d+)\n/.exec(text);
    if (!started) return;
    handshake = true;
    reply({ id, kind: 'started', pid: Number(started[1]), startTime: Number(started[2]) });
  });
  child.once('error', (err) => reply({ id, kind: 'error', message: err.message }));
  child.once('exit', (code) => reply({ id, kind: 'exit', code }));
  // 'close' comes after the exit AND the end of stdout, so a handshake is never missed.
  child.once('close', () => {
    children.delete(id);
    reply({ id, kind: 'close' });
  });
});
