// The node API's paths, as the kubelet lays them out (pkg/kubelet/server): which endpoint a request
// names and the Kubernetes names in it. The raw path is read as sent, never normalised, so a `..`
// segment or an encoded slash cannot turn one path into another: both are refused (400).

export interface ContainerRoute<K extends 'containerLogs' | 'exec' | 'attach' | 'run'> {
  kind: K;
  namespace: string;
  pod: string;
  container: string;
}

export interface PodRoute {
  kind: 'portForward';
  namespace: string;
  pod: string;
}

export type NodeRoute =
  | { kind: 'healthz' }
  | { kind: 'pods' }
  | { kind: 'metrics' }
  | { kind: 'metricsResource' }
  | { kind: 'statsSummary' }
  | { kind: 'events' }
  | ContainerRoute<'containerLogs'>
  | ContainerRoute<'exec'>
  | ContainerRoute<'attach'>
  | ContainerRoute<'run'>
  | PodRoute
  | { kind: 'bad'; message: string }
  | { kind: 'notFound'; path: string };

/** Kubernetes names (DNS subdomains): this alone refuses `..`, `/` and encoded traversal. */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const UID = /^[0-9a-zA-Z-]{1,64}$/;

export const ENDPOINT_LIST =
  '/healthz /pods /events /metrics /metrics/resource /stats/summary /containerLogs/{namespace}/{pod}/{container} ' +
  '/exec/{namespace}/{pod}/{container} /attach/{namespace}/{pod}/{container} /portForward/{namespace}/{pod} /run/{namespace}/{pod}/{container}';

/** The path part of a request target, exactly as sent (no dot-segment removal, no decoding). */
export function rawPath(url: string | undefined): string {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return q >= 0 ? target.slice(0, q) : target;
}

export function routeNodePath(raw: string): NodeRoute {
  const segments = raw.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return { kind: 'bad', message: `bad path ${JSON.stringify(raw)}: "." and ".." segments are not allowed` };
  let names: string[];
  try {
    names = segments.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'bad', message: `bad path ${JSON.stringify(raw)}: malformed percent-encoding` };
  }
  if (names.some((n) => n.includes('/'))) return { kind: 'bad', message: `bad path ${JSON.stringify(raw)}: an encoded slash (%2F) is not allowed in a name` };
  // A trailing slash names the same endpoint (/pods/ is /pods), as go-restful treats it.
  if (names.length > 1 && names[names.length - 1] === '') names.pop();
  const [head, ...rest] = names;
  const whole = names.join('/');
  switch (whole) {
    case 'healthz':
      return { kind: 'healthz' };
    case 'pods':
      return { kind: 'pods' };
    case 'events':
      return { kind: 'events' };
    case 'metrics':
      return { kind: 'metrics' };
    case 'metrics/resource':
      return { kind: 'metricsResource' };
    case 'stats/summary':
      return { kind: 'statsSummary' };
  }
  switch (head) {
    case 'containerLogs':
      return named('containerLogs', rest, raw, false);
    case 'exec':
    case 'attach':
    case 'run':
      return named(head, rest, raw, true);
    case 'portForward': {
      const shape = '/portForward/{namespace}/{pod}[/{uid}]';
      if (rest.length !== 2 && rest.length !== 3) return { kind: 'bad', message: `bad path ${JSON.stringify(raw)}: expected ${shape}` };
      const bad = badName(rest.slice(0, 2), raw, shape) ?? (rest[2] !== undefined && !UID.test(rest[2]) ? `bad pod UID ${JSON.stringify(rest[2])} in ${JSON.stringify(raw)}` : undefined);
      if (bad) return { kind: 'bad', message: bad };
      return { kind: 'portForward', namespace: rest[0]!, pod: rest[1]! };
    }
  }
  return { kind: 'notFound', path: raw };
}

/** /{kind}/{namespace}/{pod}/{container}, or with the pod UID before the container when `uid` may be given. */
function named<K extends 'containerLogs' | 'exec' | 'attach' | 'run'>(kind: K, rest: string[], raw: string, uid: boolean): NodeRoute {
  const shape = `/${kind}/{namespace}/{pod}${uid ? '[/{uid}]' : ''}/{container}`;
  if (rest.length !== 3 && !(uid && rest.length === 4)) return { kind: 'bad', message: `bad path ${JSON.stringify(raw)}: expected ${shape}` };
  const [namespace, pod] = rest as [string, string];
  const container = rest[rest.length - 1]!;
  // The UID is accepted and not compared: the kubelet finds the pod by its full name first too.
  if (rest.length === 4 && !UID.test(rest[2]!)) return { kind: 'bad', message: `bad pod UID ${JSON.stringify(rest[2])} in ${JSON.stringify(raw)}` };
  const bad = badName([namespace, pod, container], raw, shape);
  if (bad) return { kind: 'bad', message: bad };
  return { kind, namespace, pod, container } as ContainerRoute<K> as NodeRoute;
}

function badName(names: string[], raw: string, shape: string): string | undefined {
  const wrong = names.find((n) => !NAME.test(n) || n.length > 253);
  return wrong === undefined ? undefined : `bad path ${JSON.stringify(raw)}: ${JSON.stringify(wrong)} is not a Kubernetes name (expected ${shape})`;
}
