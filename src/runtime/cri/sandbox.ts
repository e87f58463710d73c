// The pod sandbox config the kubelet would send for a pod (pkg/kubelet/kuberuntime
// kuberuntime_sandbox.go generatePodSandboxConfig), for what berth's static pods use: metadata,
// hostname, the log folder, DNS, host ports, namespaces and the labels berth finds pods by.
// Deterministic: the same pod gives the same config, so CreateContainer can send it again.
import { podSysctls } from '../security.js';
import { join } from 'node:path';
import type { Pod, PodDNSConfig } from 'kubernetes-types/core/v1';
import type { DNSConfig, NamespaceOption, PodSandboxConfig, PortMapping, Protocol } from './types.js';
import { KUBE_LABELS, podIdentity } from '../labels.js';

export const LABEL_MANAGED = 'berth.managed';
export { podIdentity, type PodIdentity } from '../labels.js';
export const LABEL_NODE = KUBE_LABELS.node;
export const LABEL_POD_NAME = KUBE_LABELS.podName;
export const LABEL_POD_NAMESPACE = KUBE_LABELS.podNamespace;
export const LABEL_POD_UID = KUBE_LABELS.podUid;
export const LABEL_CONTAINER_NAME = KUBE_LABELS.containerName;
export const ANNOTATION_RESTART_COUNT = KUBE_LABELS.restartCount;
export const ANNOTATION_CONTAINER_HASH = KUBE_LABELS.hash;
export const ANNOTATION_GRACE_PERIOD = KUBE_LABELS.gracePeriod;

/** `<podLogsDir>/<namespace>_<name>_<uid>`: the kubelet's layout, read by the node's /containerLogs. */
export function podLogDirectory(podLogsDir: string, pod: Pod): string {
  const id = podIdentity(pod);
  return join(podLogsDir, `${id.namespace}_${id.name}_${id.uid}`);
}

export function podLabels(pod: Pod, nodeName?: string): Record<string, string> {
  const id = podIdentity(pod);
  return {
    [LABEL_POD_NAME]: id.name,
    [LABEL_POD_NAMESPACE]: id.namespace,
    [LABEL_POD_UID]: id.uid,
    [LABEL_MANAGED]: 'true',
    ...(nodeName ? { [LABEL_NODE]: nodeName } : {}),
  };
}

/** The label selector of everything this node's agent made in the runtime. */
export function managedSelector(nodeName?: string): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', ...(nodeName ? { [LABEL_NODE]: nodeName } : {}) };
}

/** Network, PID and IPC namespaces of the pod's sandbox and containers (kubelet namespacesForPod). */
export function namespaceOptions(pod: Pod): NamespaceOption {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork ? 'NODE' : 'POD',
    pid: spec?.hostPID ? 'NODE' : spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: spec?.hostIPC ? 'NODE' : 'POD',
  };
}

export interface SandboxConfigOptions {
  podLogsDir: string;
  /** The node's resolver config (the text of /etc/resolv.conf). */
  hostResolvConf: string;
  attempt: number;
  /** Labels the sandbox with berth.node (see LABEL_NODE). */
  nodeName?: string;
}

export function sandboxConfig(pod: Pod, options: SandboxConfigOptions): PodSandboxConfig {
  const id = podIdentity(pod);
  const hostNetwork = pod.spec?.hostNetwork === true;
  const podContext = pod.spec?.securityContext;
  const privileged = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some(
    (c) => c.securityContext?.privileged === true,
  );
  // Refuses (as the kubelet's admission) network sysctls with hostNetwork and IPC ones with hostIPC.
  const sysctls = podSysctls(pod, `pod ${id.namespace}/${id.name}`);
  const dns = dnsConfig(pod, options.hostResolvConf);

  return {
    metadata: { name: id.name, uid: id.uid, namespace: id.namespace, attempt: options.attempt },
    // With the node's network there is no UTS namespace: runc refuses to set a hostname there.
    hostname: hostNetwork ? '' : podHostname(pod),
    logDirectory: podLogDirectory(options.podLogsDir, pod),
    ...(dns ? { dnsConfig: dns } : {}),
    portMappings: hostNetwork ? [] : portMappings(pod),
    labels: { ...(pod.metadata?.labels ?? {}), ...podLabels(pod, options.nodeName) },
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    linux: {
      cgroupParent: '',
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        privileged,
        ...(podContext?.runAsUser !== undefined ? { runAsUser: { value: podContext.runAsUser } } : {}),
        ...(podContext?.runAsUser !== undefined && podContext.runAsGroup !== undefined
          ? { runAsGroup: { value: podContext.runAsGroup } }
          : {}),
        supplementalGroups: [...(podContext?.supplementalGroups ?? []), ...(podContext?.fsGroup !== undefined ? [podContext.fsGroup] : [])],
      },
      sysctls,
    },
  };
}

/** The pod's hostname: spec.hostname (plus subdomain is only for cluster DNS) or the pod name, cut to 63 characters. */
function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata?.name || '';
  return name.slice(0, 63).replace(/[-.]+$/, '');
}

function portMappings(pod: Pod): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      // Only host ports need the runtime; a plain containerPort is reachable on the pod IP anyway.
      if (!port.hostPort) continue;
      mappings.push({
        protocol: (['TCP', 'UDP', 'SCTP'].includes(port.protocol ?? 'TCP') ? (port.protocol ?? 'TCP') : 'TCP') as Protocol,
        containerPort: port.containerPort,
        hostPort: port.hostPort,
        ...(port.hostIP ? { hostIp: port.hostIP } : {}),
      });
    }
  }
  return mappings;
}

/**
 * DNS as the kubelet sets it without cluster DNS: the node's resolv.conf (for every policy but
 * None, since a static pod has no cluster DNS service to use), merged with spec.dnsConfig.
 */
export function dnsConfig(pod: Pod, hostResolvConf: string): DNSConfig | undefined {
  const base: DNSConfig =
    pod.spec?.dnsPolicy === 'None' ? { servers: [], searches: [], options: [] } : parseResolvConf(hostResolvConf);
  const merged = mergeDnsConfig(base, pod.spec?.dnsConfig);
  if (merged.servers.length === 0 && merged.searches.length === 0 && merged.options.length === 0) return undefined;
  return merged;
}

export function parseResolvConf(text: string): DNSConfig {
  const config: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) config.servers.push(values[0]);
    else if (key === 'search' || key === 'domain') config.searches = values; // the last one wins, as in glibc
    else if (key === 'options') config.options.push(...values);
  }
  return config;
}

function mergeDnsConfig(base: DNSConfig, extra: PodDNSConfig | undefined): DNSConfig {
  if (!extra) return base;
  const servers = unique([...base.servers, ...(extra.nameservers ?? [])]);
  const searches = unique([...base.searches, ...(extra.searches ?? [])]);
  // Options merge by name: the pod's value replaces the node's.
  const options = new Map<string, string>();
  for (const option of base.options) options.set(option.split(':')[0]!, option);
  for (const option of extra.options ?? []) {
    if (!option.name) continue;
    options.set(option.name, option.value !== undefined && option.value !== '' ? `${option.name}:${option.value}` : option.name);
  }
  return { servers, searches, options: [...options.values()] };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
