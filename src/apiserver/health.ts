// /healthz, /livez and /readyz as kube-apiserver serves them: `ok` when every check passes,
// `?verbose` lists each check (`[+]ping ok`) and ends with `<endpoint> check passed`, `?exclude=x`
// skips a check, `/<endpoint>/<check>` runs one check, and an unknown check is a 404. A failing
// check answers 500 and lists `[-]name failed: reason withheld` (the reason goes to the log, as
// upstream, so anonymous callers learn nothing about the node).
import type { Logger } from '../log/index.js';
import { notFoundPath } from './status.js';

export const HEALTH_ENDPOINTS = ['healthz', 'livez', 'readyz'] as const;
export type HealthEndpoint = (typeof HEALTH_ENDPOINTS)[number];

export interface HealthCheck {
  name: string;
  /** undefined when healthy, else why not. */
  run(): string | undefined;
}

export interface HealthAnswer {
  code: number;
  text: string;
}

export interface HealthDeps {
  /** Reads the store; throws when it cannot (the durable store's disk went away, ...). */
  probeStore: () => void;
  /** True once the server has begun to shut down. */
  shuttingDown: () => boolean;
  logger: Logger;
}

function checksFor(endpoint: HealthEndpoint, d: Pick<HealthDeps, 'probeStore' | 'shuttingDown'>): HealthCheck[] {
  const ok = () => undefined;
  // `etcd` is the name clients and monitoring know for "the API's storage answers"; here it is
  // the embedded store.
  const store = (): string | undefined => {
    try {
      d.probeStore();
      return undefined;
    } catch (err) {
      return `the embedded store does not answer: ${(err as Error).message}`;
    }
  };
  const checks: HealthCheck[] = [
    { name: 'ping', run: ok },
    { name: 'log', run: ok },
    { name: 'etcd', run: store },
  ];
  if (endpoint === 'readyz') checks.push({ name: 'shutdown', run: () => (d.shuttingDown() ? 'the API server is shutting down' : undefined) });
  return checks;
}

/** The names of an endpoint's checks (for GET / and discovery of the per-check paths). */
export function healthCheckNames(endpoint: HealthEndpoint): string[] {
  return checksFor(endpoint, { probeStore: () => undefined, shuttingDown: () => false }).map((c) => c.name);
}

/** Answers /<endpoint> (check undefined) or /<endpoint>/<check>. */
export function health(endpoint: HealthEndpoint, check: string | undefined, q: URLSearchParams, d: HealthDeps): HealthAnswer {
  const checks = checksFor(endpoint, d);
  if (check !== undefined) {
    const c = checks.find((x) => x.name === check);
    if (!c) throw notFoundPath(`/${endpoint}/${check}`);
    const why = c.run();
    if (why) d.logger.warn(`apiserver: ${endpoint} check failed`, { check: c.name, reason: why });
    return why ? { code: 500, text: `internal server error: ${c.name} check failed\n` } : { code: 200, text: 'ok' };
  }
  const excluded = new Set(q.getAll('exclude').flatMap((v) => v.split(',')).filter((v) => v !== ''));
  const verbose = q.has('verbose');
  let failed = false;
  let text = '';
  for (const c of checks) {
    if (excluded.has(c.name)) {
      excluded.delete(c.name);
      text += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    const why = c.run();
    if (why) {
      failed = true;
      d.logger.warn(`apiserver: ${endpoint} check failed`, { check: c.name, reason: why });
      text += `[-]${c.name} failed: reason withheld\n`;
    } else {
      text += `[+]${c.name} ok\n`;
    }
  }
  for (const name of excluded) text += `warn: some health checks cannot be excluded: no matches for "${name}"\n`;
  if (failed) return { code: 500, text: `${text}${endpoint} check failed\n` };
  return { code: 200, text: verbose ? `${text}${endpoint} check passed\n` : 'ok' };
}
