// "The pod answers" as a client sees it: an HTTP GET to 127.0.0.1:PORT gets a response (any
// status: busybox httpd serving an empty folder says 404, which is still an answer).
import { request } from 'node:http';
import { createServer } from 'node:net';
import { sleep } from './proc.js';

/** Resolves true when an HTTP response arrives, false on a refused/reset connection or after timeoutMs. */
export function answers(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Polls every `everyMs` until the port answers; resolves with performance.now() when the first
 * answering response arrived. Rejects after timeoutMs, or as soon as `abort` rejects.
 */
export async function waitAnswering(port: number, what: string, timeoutMs: number, everyMs = 2, abort?: Promise<never>): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let failed: Error | undefined;
  abort?.catch((err: Error) => {
    failed = err;
  });
  for (;;) {
    if (failed) throw failed;
    if (await answers(port, 500)) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to answer on 127.0.0.1:${port}`);
    await sleep(everyMs);
  }
}

/** Resolves once the port no longer answers; rejects after timeoutMs. */
export async function waitClosed(port: number, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (await answers(port, 500)) {
    if (performance.now() > deadline) throw new Error(`${what} still answers on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Whether PORT can be listened on now. Candidates come from below the kernel's ephemeral range
 * (32768+ by default), so the probes' own outgoing connections never hold a port httpd needs.
 */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** n distinct ports in 20000-29999 that nobody listens on right now. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > 10_000) throw new Error(`cannot find ${n} free ports in 20000-29999`);
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (!ports.has(port) && (await bindable(port))) ports.add(port);
  }
  return [...ports];
}
