// `berth describe pod NAME`: a pod as `kubectl describe pod` shows it (identity, status, each
// container's state, probes and environment, conditions, volumes, QoS), with the events the agent
// kept for it.
import type { Container, ContainerState, ContainerStatus, Event, EventList, Pod, Probe, Volume } from 'kubernetes-types/core/v1';
import { humanDuration, since } from '../../apiserver/index.js';
import { UsageError, type FlagSpec } from '../flags.js';
import { NodeApiClient } from './node-api-client.js';
import { NAMESPACE_FLAGS, opsFlagHelp, parseOpsArgs } from './options.js';
import { findPod, listPods } from './pods.js';
import { alignTabs } from './tab-writer.js';

const USAGE = 'Usage: berth describe pod NAME [-n NAMESPACE] [flags]\n';

export async function describeCommand(argv: string[]): Promise<number> {
  const flags: FlagSpec[] = [...NAMESPACE_FLAGS];
  const args = parseOpsArgs(argv, flags, 'describe');
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nFlags:\n${opsFlagHelp(flags)}\n`);
    return 0;
  }
  const [resource, name, extra] = args.positional;
  if (resource === undefined || !['pod', 'pods', 'po'].includes(resource)) {
    throw new UsageError(`"berth describe" describes pods: ${USAGE.trim()}${resource ? ` (not ${JSON.stringify(resource)})` : ''}`);
  }
  if (name === undefined) throw new UsageError(`"berth describe pod" needs the pod's name (${USAGE.trim()}; "berth get pods" lists them)`);
  if (extra !== undefined) throw new UsageError(`"berth describe pod" takes one name, got also ${JSON.stringify(extra)}`);
  const client = await NodeApiClient.connect(args.connection);
  const pod = findPod(await listPods(client, args.namespace), name, args.namespace);
  const events = (await client.getJson<EventList>('/events')).items.filter((e) => e.involvedObject?.uid === pod.metadata?.uid);
  process.stdout.write(describePod(pod, events, Date.now()));
  return 0;
}

export function describePod(pod: Pod, events: Event[], now: number): string {
  const m = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const out: string[] = [];
  const put = (indent: number, key: string, value?: string) => out.push(`${'  '.repeat(indent)}${key}${value === undefined ? '' : `\t${value}`}`);
  put(0, 'Name:', m.name ?? '');
  put(0, 'Namespace:', m.namespace ?? 'default');
  put(0, 'Priority:', String(spec.priority ?? 0));
  if (spec.priorityClassName) put(0, 'Priority Class Name:', spec.priorityClassName);
  put(0, 'Node:', spec.nodeName ? `${spec.nodeName}/${status.hostIP ?? ''}` : '<none>');
  put(0, 'Start Time:', status.startTime ? rfc1123z(status.startTime) : '<unset>');
  map(put, 0, 'Labels:', m.labels, '=');
  map(put, 0, 'Annotations:', m.annotations, ': ');
  if (m.deletionTimestamp) put(0, 'Status:', `Terminating (lasts ${since(m.deletionTimestamp, now)})`);
  else put(0, 'Status:', status.phase ?? 'Unknown');
  if (status.reason) put(0, 'Reason:', status.reason);
  if (status.message) put(0, 'Message:', status.message);
  put(0, 'IP:', status.podIP ?? '');
  const ips = status.podIPs ?? [];
  if (ips.length) {
    put(0, 'IPs:');
    for (const ip of ips) put(1, 'IP:', ip.ip ?? '');
  } else put(0, 'IPs:', '<none>');
  const statusOf = (list: ContainerStatus[] | undefined, name: string) => (list ?? []).find((s) => s.name === name);
  if (spec.initContainers?.length) {
    put(0, 'Init Containers:');
    for (const c of spec.initContainers) container(put, c, statusOf(status.initContainerStatuses, c.name));
  }
  put(0, 'Containers:');
  for (const c of spec.containers ?? []) container(put, c, statusOf(status.containerStatuses, c.name));
  const conditions = status.conditions ?? [];
  if (conditions.length) {
    put(0, 'Conditions:');
    out.push('  Type\tStatus');
    for (const c of conditions) out.push(`  ${c.type}\t${c.status} `);
  }
  volumes(put, spec.volumes ?? []);
  put(0, 'QoS Class:', status.qosClass ?? '');
  map(put, 0, 'Node-Selectors:', spec.nodeSelector, '=');
  const tolerations = (spec.tolerations ?? []).map((t) => `${t.key ?? ''}${t.operator === 'Exists' ? '' : t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}${t.operator === 'Exists' ? ' op=Exists' : ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`);
  list(put, 0, 'Tolerations:', tolerations);
  if (events.length === 0) put(0, 'Events:', '<none>');
  else {
    put(0, 'Events:');
    out.push('  Type\tReason\tAge\tFrom\tMessage');
    out.push('  ----\t------\t----\t----\t-------');
    const sorted = [...events].sort((a, b) => Date.parse(a.firstTimestamp ?? '') - Date.parse(b.firstTimestamp ?? ''));
    for (const e of sorted) out.push(`  ${e.type}\t${e.reason}\t${eventAge(e, now)}\t${e.source?.component ?? ''}\t${(e.message ?? '').trim()}`);
  }
  return alignTabs(out.join('\n') + '\n');
}

type Put = (indent: number, key: string, value?: string) => void;

function container(put: Put, c: Container, s: ContainerStatus | undefined): void {
  put(1, `${c.name}:`);
  if (s?.containerID) put(2, 'Container ID:', s.containerID);
  put(2, 'Image:', c.image ?? '');
  put(2, 'Image ID:', s?.imageID ?? '');
  const ports = c.ports ?? [];
  put(2, ports.length > 1 ? 'Ports:' : 'Port:', ports.length ? ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ') : '<none>');
  put(2, ports.length > 1 ? 'Host Ports:' : 'Host Port:', ports.length ? ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ') : '<none>');
  if (c.command?.length) {
    put(2, 'Command:');
    for (const a of c.command) put(3, a);
  }
  if (c.args?.length) {
    put(2, 'Args:');
    for (const a of c.args) put(3, a);
  }
  if (s) {
    state(put, 'State:', s.state);
    if (s.lastState && Object.keys(s.lastState).length) state(put, 'Last State:', s.lastState);
    put(2, 'Ready:', s.ready ? 'True' : 'False');
    put(2, 'Restart Count:', String(s.restartCount ?? 0));
  } else put(2, 'State:', 'Waiting');
  const resources = c.resources ?? {};
  for (const [title, values] of [['Limits:', resources.limits], ['Requests:', resources.requests]] as const) {
    if (!values || !Object.keys(values).length) continue;
    put(2, title);
    for (const [k, v] of Object.entries(values).sort()) put(3, `${k}:`, String(v));
  }
  for (const [title, probe] of [['Liveness:', c.livenessProbe], ['Readiness:', c.readinessProbe], ['Startup:', c.startupProbe]] as const) {
    if (probe) put(2, title, describeProbe(probe));
  }
  const env = c.env ?? [];
  if (!env.length && !c.envFrom?.length) put(2, 'Environment:', '<none>');
  else {
    put(2, 'Environment:');
    for (const e of env) {
      const from = e.valueFrom;
      const value = from?.fieldRef ? `(${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})` : from?.secretKeyRef ? `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>` : from?.configMapKeyRef ? `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>` : from?.resourceFieldRef ? `${from.resourceFieldRef.resource}` : (e.value ?? '');
      put(3, `${e.name}:`, value);
    }
  }
  const mounts = (c.volumeMounts ?? []).map((v) => `${v.mountPath} from ${v.name} (${v.readOnly ? 'ro' : 'rw'}${v.subPath ? `,path="${v.subPath}"` : ''})`);
  list(put, 2, 'Mounts:', mounts);
}

function state(put: Put, title: string, s: ContainerState | undefined): void {
  if (s?.running) {
    put(2, title, 'Running');
    put(3, 'Started:', rfc1123z(s.running.startedAt));
  } else if (s?.terminated) {
    const t = s.terminated;
    put(2, title, 'Terminated');
    put(3, 'Reason:', t.reason ?? '');
    if (t.message) put(3, 'Message:', t.message);
    put(3, 'Exit Code:', String(t.exitCode));
    if (t.signal) put(3, 'Signal:', String(t.signal));
    put(3, 'Started:', rfc1123z(t.startedAt));
    put(3, 'Finished:', rfc1123z(t.finishedAt));
  } else if (s?.waiting) {
    put(2, title, 'Waiting');
    if (s.waiting.reason) put(3, 'Reason:', s.waiting.reason);
    if (s.waiting.message) put(3, 'Message:', s.waiting.message);
  } else put(2, title, 'Waiting');
}

function describeProbe(p: Probe): string {
  const how = p.exec
    ? `exec [${(p.exec.command ?? []).join(' ')}]`
    : p.httpGet
      ? `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? ''}`
      : p.tcpSocket
        ? `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port}`
        : p.grpc
          ? `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''}`.trimEnd()
          : 'unknown';
  return `${how} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function volumes(put: Put, vols: Volume[]): void {
  if (!vols.length) {
    put(0, 'Volumes:', '<none>');
    return;
  }
  put(0, 'Volumes:');
  for (const v of vols) {
    put(1, `${v.name}:`);
    if (v.hostPath) {
      put(2, 'Type:', `HostPath (bare host directory volume)`);
      put(2, 'Path:', v.hostPath.path);
      put(2, 'HostPathType:', v.hostPath.type ?? '');
    } else if (v.emptyDir) {
      put(2, 'Type:', 'EmptyDir (a temporary directory that shares a pod\'s lifetime)');
      put(2, 'Medium:', v.emptyDir.medium ?? '');
      put(2, 'SizeLimit:', v.emptyDir.sizeLimit === undefined ? '<unset>' : String(v.emptyDir.sizeLimit));
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      put(2, 'Type:', kind);
    }
  }
}

function map(put: Put, indent: number, title: string, values: Record<string, string> | undefined, sep: string): void {
  list(put, indent, title, Object.entries(values ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}${sep}${v}`));
}

/** kubectl prints the first value beside the title and the rest under it, aligned. */
function list(put: Put, indent: number, title: string, values: string[]): void {
  if (!values.length) {
    put(indent, title, '<none>');
    return;
  }
  put(indent, title, values[0]);
  for (const v of values.slice(1)) put(indent, '', v);
}

function eventAge(e: Event, now: number): string {
  const first = since(e.firstTimestamp, now);
  if ((e.count ?? 1) <= 1) return first;
  return `${since(e.lastTimestamp, now)} (x${e.count} over ${humanDuration(Date.parse(e.lastTimestamp ?? '') - Date.parse(e.firstTimestamp ?? ''))})`;
}

/** Go's time.RFC1123Z in local time, as kubectl describe prints times. */
function rfc1123z(ts: string | undefined): string {
  if (!ts) return '<unset>';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset >= 0 ? '+' : '-'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  return `${days[d.getDay()]}, ${two(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}
