// The kubelet-managed /etc/hosts of a pod (pkg/kubelet/kubelet_pods.go): localhost entries and the
// pod's own name on its IP, or, for a hostNetwork pod, the node's /etc/hosts; then the pod's
// hostAliases. Written to <volumes dir>/<pod uid>/etc-hosts and mounted into each container that
// does not mount /etc/hosts itself.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';

export const HOSTS_PATH = '/etc/hosts';

/** The file's content, as the kubelet writes it. */
export function managedHostsContent(pod: Pod, podIP: string, nodeHosts: string): string {
  let text: string;
  if (pod.spec?.hostNetwork) {
    text = '# Kubernetes-managed hosts file (host network).\n' + nodeHosts;
    if (!text.endsWith('\n')) text += '\n';
  } else {
    const hostname = (pod.spec?.hostname || pod.metadata?.name || '').slice(0, 63).replace(/[-.]+$/, '');
    text =
      '# Kubernetes-managed hosts file.\n' +
      '127.0.0.1\tlocalhost\n' +
      '::1\tlocalhost ip6-localhost ip6-loopback\n' +
      'fe00::0\tip6-localnet\n' +
      'fe00::0\tip6-mcastprefix\n' +
      'fe00::1\tip6-allnodes\n' +
      'fe00::2\tip6-allrouters\n';
    if (podIP) text += `${podIP}\t${hostname}\n`;
  }
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length > 0) {
    text += '\n# Entries added by HostAliases.\n';
    for (const alias of aliases) text += `${alias.ip}\t${(alias.hostnames ?? []).join('\t')}\n`;
  }
  return text;
}

/** Whether the container gets the managed file: not when it mounts something at /etc/hosts itself. */
export function wantsManagedHosts(container: Container): boolean {
  return !(container.volumeMounts ?? []).some((m) => m.mountPath === HOSTS_PATH);
}

/** Writes the pod's managed hosts file under `podDir` (the same for every container) and returns its path. */
export async function writeManagedHostsFile(podDir: string, pod: Pod, podIP: string, nodeHostsPath = HOSTS_PATH): Promise<string> {
  const nodeHosts = pod.spec?.hostNetwork ? await fs.readFile(nodeHostsPath, 'utf8').catch(() => '') : '';
  await fs.mkdir(podDir, { recursive: true });
  const path = join(podDir, 'etc-hosts');
  const tmp = `${path}.${process.pid}.tmp`;
  await fs.writeFile(tmp, managedHostsContent(pod, podIP, nodeHosts), { mode: 0o644 });
  await fs.rename(tmp, path);
  return path;
}
