// Probes and lifecycle hooks (upstream validateProbe, validateHandler, validateLifecycle): exactly one
// handler each, upstream's field checks for every handler, and the probe-kind rules.
import type { Checker } from './check.js';
import { inclusiveRange } from './check.js';
import { msg } from './errors.js';
import { isUnset, type JsonObject } from './json.js';
import { httpHeaderName, portName } from './names.js';

export type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
// tcpSocket is accepted (but not run) by upstream for hooks, kept for backward compatibility.
const HOOK_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];

/** One probe of a container; `gracePeriod` is the pod's effective terminationGracePeriodSeconds. */
export function checkProbe(c: Checker, probe: JsonObject, path: string, kind: ProbeKind, gracePeriod: number): void {
  checkHandler(c, probe, path, PROBE_HANDLERS, gracePeriod);
  for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    c.nonNegative(probe, key, `${path}.${key}`);
  }
  const grace = c.int(probe, 'terminationGracePeriodSeconds', `${path}.terminationGracePeriodSeconds`);
  if (grace !== undefined && grace <= 0) {
    c.add(`${path}.terminationGracePeriodSeconds`, msg.invalid(grace, 'must be greater than 0'), 'set the probe terminationGracePeriodSeconds to 1 or more, or remove it to use the pod value');
  }
  if (kind === 'readinessProbe') {
    if (!isUnset(probe.terminationGracePeriodSeconds)) {
      c.add(`${path}.terminationGracePeriodSeconds`, msg.invalid(probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'), 'remove terminationGracePeriodSeconds from the readiness probe (a failing readiness probe never kills the container)');
    }
  } else {
    const success = probe.successThreshold;
    if (typeof success === 'number' && success !== 1) {
      c.add(`${path}.successThreshold`, msg.invalid(success, 'must be 1'), `set successThreshold to 1 (only readiness probes may use another value)`);
    }
  }
}

/** lifecycle.postStart / lifecycle.preStop of a container. */
export function checkLifecycle(c: Checker, lifecycle: JsonObject, path: string, gracePeriod: number): void {
  for (const hook of ['postStart', 'preStop']) {
    const h = c.object(lifecycle, hook, `${path}.${hook}`);
    if (h) checkHandler(c, h, `${path}.${hook}`, HOOK_HANDLERS, gracePeriod);
  }
}

function checkHandler(c: Checker, handler: JsonObject, path: string, kinds: readonly string[], gracePeriod: number): void {
  let count = 0;
  for (const kind of kinds) {
    if (isUnset(handler[kind])) continue;
    const hp = `${path}.${kind}`;
    if (count > 0) {
      c.add(hp, msg.forbidden('may not specify more than 1 handler type'), `keep only one of ${kinds.filter((k) => !isUnset(handler[k])).join(', ')}`);
      continue;
    }
    count++;
    const action = c.object(handler, kind, hp);
    if (!action) continue;
    switch (kind) {
      case 'exec': {
        const command = c.stringList(action, 'command', `${hp}.command`);
        if (!command || command.length === 0) {
          if (command || isUnset(action.command)) c.add(`${hp}.command`, msg.required(), 'set exec.command to the command to run, e.g. ["cat", "/tmp/healthy"]');
        }
        break;
      }
      case 'httpGet': {
        const p = c.str(action, 'path', `${hp}.path`);
        if (p === '' || (p === undefined && isUnset(action.path))) c.add(`${hp}.path`, msg.required(), 'set httpGet.path, e.g. /healthz');
        checkPortNumOrName(c, action.port, `${hp}.port`);
        const scheme = c.str(action, 'scheme', `${hp}.scheme`);
        if (scheme !== undefined && !HTTP_SCHEMES.includes(scheme)) c.add(`${hp}.scheme`, msg.unsupported(scheme, HTTP_SCHEMES), 'set scheme to HTTP or HTTPS');
        for (const [header, i] of c.objects(action, 'httpHeaders', `${hp}.httpHeaders`)) {
          const name = c.str(header, 'name', `${hp}.httpHeaders[${i}].name`) ?? '';
          for (const e of httpHeaderName(name)) c.add(`${hp}.httpHeaders`, msg.invalid(name, e), "use a header name of letters, digits and '-' only");
        }
        break;
      }
      case 'tcpSocket':
        checkPortNumOrName(c, action.port, `${hp}.port`);
        break;
      case 'grpc': {
        const port = c.int(action, 'port', `${hp}.port`) ?? (isUnset(action.port) ? 0 : undefined);
        if (port !== undefined && (port < 1 || port > 65535)) c.add(`${hp}.port`, msg.invalid(port, inclusiveRange(1, 65535)), 'set grpc.port to the port number of the gRPC health service (1-65535)');
        c.str(action, 'service', `${hp}.service`);
        break;
      }
      case 'sleep': {
        const seconds = c.int(action, 'seconds', `${hp}.seconds`) ?? (isUnset(action.seconds) ? 0 : undefined);
        if (seconds !== undefined && (seconds < 0 || seconds > gracePeriod)) {
          c.add(hp, msg.invalid(seconds, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`), `set sleep.seconds between 0 and ${gracePeriod}, or raise spec.terminationGracePeriodSeconds`);
        }
        break;
      }
    }
  }
  if (count === 0) {
    c.add(path, msg.required('must specify a handler type'), `add one of ${kinds.join(', ')}`);
  }
}

/** Upstream ValidatePortNumOrName: a number 1-65535 or an IANA service name (never a numeric string). */
function checkPortNumOrName(c: Checker, port: unknown, path: string): void {
  if (isUnset(port) || typeof port === 'number') {
    const n = typeof port === 'number' ? port : 0;
    if (!Number.isInteger(n) || n < 1 || n > 65535) c.add(path, msg.invalid(n, inclusiveRange(1, 65535)), 'set the port to probe: a number from 1 to 65535 or the name of a container port');
  } else if (typeof port === 'string') {
    for (const e of portName(port)) {
      c.add(path, msg.invalid(port, e), /^[0-9]+$/.test(port) ? `write the port as a number without quotes: port: ${port}` : 'use a port number or the name of a container port');
    }
  } else {
    c.add(path, msg.invalid(port, 'must be a number or a port name'), 'use a port number or the name of a container port');
  }
}
