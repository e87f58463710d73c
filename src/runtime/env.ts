// A container's environment, command and args as the kubelet computes them: `env` in order with
// `$(VAR)` expansion, downward-API `fieldRef`/`resourceFieldRef` values, then `$(VAR)` expansion of
// command and args against the final environment. Shared by every runtime.
import { cpus, totalmem } from 'node:os';
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1';
import { RuntimeError, type SandboxInfo } from './types.js';

export interface ContainerEnvironment {
  /** In definition order; a later duplicate name overrides the earlier value. */
  env: Record<string, string>;
  command: string[];
  args: string[];
}

/**
 * Kubernetes `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion): `$(NAME)`
 * becomes lookup(NAME) when defined and stays as written otherwise; `$$` becomes `$` (so `$$(VAR)`
 * is the literal `$(VAR)`); any other `$` is kept.
 */
export function expandVariables(input: string, lookup: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close < 0) {
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      out += '$' + next;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

export function containerEnvironment(pod: Pod, container: Container, sandbox: SandboxInfo): ContainerEnvironment {
  const env: Record<string, string> = {};
  const lookup = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);

  if (container.envFrom && container.envFrom.length > 0) {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `container "${container.name}": envFrom needs a ConfigMap or Secret from the API server, which a static pod ` +
        'cannot reference; set the variables with env[].value instead',
    );
  }
  (container.env ?? []).forEach((variable, index) => {
    // Expansion sees only the variables defined before this one (the map as it is now).
    env[variable.name] = variable.valueFrom
      ? valueFrom(pod, container, sandbox, variable, index)
      : expandVariables(variable.value ?? '', lookup);
  });

  return {
    env,
    command: (container.command ?? []).map((part) => expandVariables(part, lookup)),
    args: (container.args ?? []).map((part) => expandVariables(part, lookup)),
  };
}

const FIELD_PATHS =
  "metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'], metadata.annotations['KEY'], " +
  'spec.nodeName, spec.serviceAccountName, status.podIP, status.podIPs, status.hostIP, status.hostIPs';

function valueFrom(pod: Pod, container: Container, sandbox: SandboxInfo, variable: EnvVar, index: number): string {
  const where = `container "${container.name}": env[${index}] (${variable.name}).valueFrom`;
  const source = variable.valueFrom ?? {};
  if (source.fieldRef) {
    const path = source.fieldRef.fieldPath;
    const value = podField(pod, sandbox, path);
    if (value === undefined) {
      throw new RuntimeError(
        'CreateContainerConfigError',
        `${where}.fieldRef.fieldPath: unsupported value "${path}"; use one of ${FIELD_PATHS}`,
      );
    }
    return value;
  }
  if (source.resourceFieldRef) {
    return resourceField(container, source.resourceFieldRef.resource, source.resourceFieldRef.divisor, where);
  }
  const kind = source.configMapKeyRef ? 'configMapKeyRef' : source.secretKeyRef ? 'secretKeyRef' : undefined;
  throw new RuntimeError(
    'CreateContainerConfigError',
    kind
      ? `${where}.${kind}: a static pod cannot reference ConfigMaps or Secrets (they live in the API server); ` +
          'set env[].value instead'
      : `${where}: empty; set fieldRef or resourceFieldRef, or use env[].value`,
  );
}

function podField(pod: Pod, sandbox: SandboxInfo, path: string): string | undefined {
  const meta = pod.metadata ?? {};
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return sandbox.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return sandbox.hostIP;
  }
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? meta.labels : meta.annotations)?.[m[2]!] ?? '';
  return undefined;
}

/** requests/limits of cpu and memory; an unset limit is the node's capacity, as upstream. */
function resourceField(container: Container, resource: string, divisorText: unknown, where: string): string {
  const m = /^(limits|requests)\.(cpu|memory)$/.exec(resource);
  if (!m) {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `${where}.resourceFieldRef.resource: unsupported value "${resource}"; use limits.cpu, limits.memory, ` +
        'requests.cpu or requests.memory',
    );
  }
  const kind = m[1] as 'limits' | 'requests';
  const name = m[2] as 'cpu' | 'memory';
  const limit = quantity(container.resources?.limits?.[name]);
  const request = quantity(container.resources?.requests?.[name]) ?? limit;
  const capacity = name === 'cpu' ? cpus().length : totalmem();
  const value = kind === 'limits' ? (limit ?? capacity) : (request ?? 0);
  const divisor = quantity(divisorText) ?? 1;
  if (!(divisor > 0)) {
    throw new RuntimeError('CreateContainerConfigError', `${where}.resourceFieldRef.divisor: must be a positive quantity`);
  }
  return String(Math.ceil(value / divisor - 1e-9));
}

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(value);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix]!;
  return Number(m[1]) * factor;
}
