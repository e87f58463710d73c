// One row per validation rule: the bad input, and the exact upstream field path and message it
// must produce (pkg/apis/core/validation wording). A good pod with the same field set a valid way
// must pass, so every row also proves the rule does not fire on valid input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePodManifest, loadPodSchema, podWarnings, processRuntimeNotices, unknownFieldWarnings, validatePod, type ManifestProblem } from '../../src/manifest/index.js';

const ORIGIN = '/m/web.yaml';
type Obj = Record<string, unknown>;

/** A valid pod; `container` is merged into its one container, `spec` into its spec. */
function pod(container: Obj = {}, spec: Obj = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-node1', namespace: 'default' },
    spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'web', image: 'busybox', command: ['sleep', '60'], ...container }], ...spec },
  };
}

const lines = (problems: ManifestProblem[]): string[] => problems.map((p) => `${p.field}: ${p.message}`);

const httpGet = { httpGet: { path: '/', port: 8080, scheme: 'HTTP' } };
const probe = (extra: Obj = {}): Obj => ({ ...httpGet, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...extra });
const init = (extra: Obj): Obj => ({ initContainers: [{ name: 'init', image: 'busybox', command: ['true'], ...extra }] });

interface Row {
  rule: string;
  container?: Obj;
  spec?: Obj;
  /** The same field set validly: must give no problem. */
  good: { container?: Obj; spec?: Obj };
  /** Each line exactly, or a pattern for a line too long to spell out (a list of 65 signals). */
  expect: Array<string | RegExp>;
}

const ROWS: Row[] = [
  // ---- containers ----
  { rule: 'image is required', container: { image: undefined }, good: {}, expect: ['spec.containers[0].image: Required value'] },
  {
    rule: 'image without surrounding whitespace',
    container: { image: ' busybox ' },
    good: { container: { image: 'busybox:1.36' } },
    expect: ['spec.containers[0].image: Invalid value: " busybox ": must not have leading or trailing whitespace'],
  },
  {
    rule: 'container name is a DNS label',
    container: { name: 'a'.repeat(64) },
    good: { container: { name: 'a'.repeat(63) } },
    expect: [`spec.containers[0].name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
  },
  {
    rule: 'container restartPolicy only on init containers',
    container: { restartPolicy: 'Always' },
    good: {},
    expect: ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers'],
  },
  {
    rule: 'imagePullPolicy values',
    container: { imagePullPolicy: 'Sometimes' },
    good: { container: { imagePullPolicy: 'Never' } },
    expect: ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
  },
  {
    rule: 'terminationMessagePolicy values',
    container: { terminationMessagePolicy: 'Logs' },
    good: { container: { terminationMessagePolicy: 'FallbackToLogsOnError' } },
    expect: ['spec.containers[0].terminationMessagePolicy: Unsupported value: "Logs": supported values: "File", "FallbackToLogsOnError"'],
  },
  // ---- ports ----
  {
    rule: 'containerPort range',
    container: { ports: [{ containerPort: 65536 }] },
    good: { container: { ports: [{ containerPort: 65535 }] } },
    expect: ['spec.containers[0].ports[0].containerPort: Invalid value: 65536: must be between 1 and 65535, inclusive'],
  },
  {
    rule: 'port protocol values',
    container: { ports: [{ containerPort: 80, protocol: 'tcp' }] },
    good: { container: { ports: [{ containerPort: 80, protocol: 'UDP' }] } },
    expect: ['spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'],
  },
  {
    rule: 'unique port names',
    container: { ports: [{ containerPort: 80, name: 'web' }, { containerPort: 81, name: 'web' }] },
    good: { container: { ports: [{ containerPort: 80, name: 'web' }, { containerPort: 81, name: 'admin' }] } },
    expect: ['spec.containers[0].ports[1].name: Duplicate value: "web"'],
  },
  {
    rule: 'hostNetwork: containerPort must match hostPort',
    container: { ports: [{ containerPort: 80, hostPort: 8080 }] },
    spec: { hostNetwork: true },
    good: { container: { ports: [{ containerPort: 8080, hostPort: 8080 }] }, spec: { hostNetwork: true } },
    expect: ['spec.containers[0].ports[0].containerPort: Invalid value: 80: must match `hostPort` when `hostNetwork` is true'],
  },
  // ---- env and resources ----
  {
    rule: 'env names: printable ASCII without =',
    container: { env: [{ name: 'A=B', value: 'x' }] },
    good: { container: { env: [{ name: '1.weird-but.OK', value: 'x' }] } },
    expect: ["spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"],
  },
  {
    rule: 'env valueFrom needs a source',
    container: { env: [{ name: 'X', valueFrom: {} }] },
    good: { container: { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] } },
    expect: ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
  },
  {
    rule: 'requests <= limits',
    container: { resources: { limits: { memory: '64Mi' }, requests: { memory: '128Mi' } } },
    good: { container: { resources: { limits: { memory: '128Mi' }, requests: { memory: '64Mi' } } } },
    expect: ['spec.containers[0].resources.requests[memory]: Invalid value: "128Mi": must be less than or equal to memory limit of 64Mi'],
  },
  {
    rule: 'quantity syntax',
    container: { resources: { limits: { cpu: 'half' } } },
    good: { container: { resources: { limits: { cpu: '500m' } } } },
    expect: ["spec.containers[0].resources.limits[cpu]: Invalid value: \"half\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
  },
  {
    rule: 'standard resource names',
    container: { resources: { limits: { gpu: '1' } } },
    good: { container: { resources: { limits: { 'example.com/gpu': '1' } } } },
    expect: ['spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'],
  },
  // ---- volumes and mounts ----
  {
    rule: 'volume mounts refer to existing volumes',
    container: { volumeMounts: [{ name: 'data', mountPath: '/data' }] },
    good: { container: { volumeMounts: [{ name: 'data', mountPath: '/data' }] }, spec: { volumes: [{ name: 'data', emptyDir: {} }] } },
    expect: ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  },
  {
    rule: 'subPath stays inside the volume',
    container: { volumeMounts: [{ name: 'data', mountPath: '/data', subPath: '../etc' }] },
    spec: { volumes: [{ name: 'data', emptyDir: {} }] },
    good: { container: { volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'etc' }] }, spec: { volumes: [{ name: 'data', emptyDir: {} }] } },
    expect: ["spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../etc\": must not contain '..'"],
  },
  {
    rule: 'unique volume names',
    spec: { volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }] },
    good: { spec: { volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {} }] } },
    expect: ['spec.volumes[1].name: Duplicate value: "a"'],
  },
  {
    rule: 'exactly one source per volume',
    spec: { volumes: [{ name: 'a', emptyDir: {}, hostPath: { path: '/srv' } }] },
    good: { spec: { volumes: [{ name: 'a', hostPath: { path: '/srv' } }] } },
    expect: ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
  },
  {
    rule: "hostPath without '..'",
    spec: { volumes: [{ name: 'a', hostPath: { path: '/srv/../etc' } }] },
    good: { spec: { volumes: [{ name: 'a', hostPath: { path: '/srv/..data' } }] } },
    expect: ["spec.volumes[0].hostPath.path: Invalid value: \"/srv/../etc\": must not contain '..'"],
  },
  {
    rule: 'hostPath type values',
    spec: { volumes: [{ name: 'a', hostPath: { path: '/srv', type: 'Dir' } }] },
    good: { spec: { volumes: [{ name: 'a', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } }] } },
    expect: ['spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'],
  },
  // ---- probes ----
  {
    rule: 'a probe needs a handler',
    container: { livenessProbe: { periodSeconds: 5 } },
    good: { container: { livenessProbe: probe() } },
    expect: ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
  },
  {
    rule: 'a probe has exactly one handler',
    container: { readinessProbe: probe({ tcpSocket: { port: 8080 } }) },
    good: { container: { readinessProbe: probe() } },
    expect: ['spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
  },
  {
    rule: 'probe timings are non-negative',
    container: { livenessProbe: probe({ periodSeconds: -1 }) },
    good: { container: { livenessProbe: probe({ periodSeconds: 1 }) } },
    expect: ['spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0'],
  },
  {
    rule: 'liveness successThreshold must be 1',
    container: { livenessProbe: probe({ successThreshold: 2 }) },
    good: { container: { readinessProbe: probe({ successThreshold: 2 }) } },
    expect: ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
  },
  {
    rule: 'startup successThreshold must be 1',
    container: { startupProbe: probe({ successThreshold: 3 }) },
    good: { container: { startupProbe: probe({ failureThreshold: 30 }) } },
    expect: ['spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1'],
  },
  {
    rule: 'no terminationGracePeriodSeconds on a readiness probe',
    container: { readinessProbe: probe({ terminationGracePeriodSeconds: 5 }) },
    good: { container: { livenessProbe: probe({ terminationGracePeriodSeconds: 5 }) } },
    expect: ['spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes'],
  },
  {
    rule: 'probe port is a number or a port name',
    container: { livenessProbe: probe({ httpGet: { path: '/', port: 70000, scheme: 'HTTP' } }) },
    good: { container: { livenessProbe: probe({ httpGet: { path: '/', port: 'http', scheme: 'HTTP' } }) } },
    expect: ['spec.containers[0].livenessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  },
  {
    rule: 'a quoted number is not a port name',
    container: { livenessProbe: { tcpSocket: { port: '8080' } } },
    good: { container: { livenessProbe: { tcpSocket: { port: 8080 } } } },
    expect: ['spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: "8080": must contain at least one letter (a-z)'],
  },
  {
    rule: 'httpGet scheme values',
    container: { livenessProbe: probe({ httpGet: { path: '/', port: 80, scheme: 'http' } }) },
    good: { container: { livenessProbe: probe({ httpGet: { path: '/', port: 80, scheme: 'HTTPS' } }) } },
    expect: ['spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "http": supported values: "HTTP", "HTTPS"'],
  },
  {
    rule: 'exec probe needs a command',
    container: { livenessProbe: { exec: { command: [] } } },
    good: { container: { livenessProbe: { exec: { command: ['true'] } } } },
    expect: ['spec.containers[0].livenessProbe.exec.command: Required value'],
  },
  {
    rule: 'grpc probe port',
    container: { livenessProbe: { grpc: {} } },
    good: { container: { livenessProbe: { grpc: { port: 9090 } } } },
    expect: ['spec.containers[0].livenessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive'],
  },
  // ---- hooks ----
  {
    rule: 'a hook has exactly one handler',
    container: { lifecycle: { preStop: { exec: { command: ['true'] }, sleep: { seconds: 1 } } } },
    good: { container: { lifecycle: { preStop: { sleep: { seconds: 1 } } } } },
    expect: ['spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type'],
  },
  {
    rule: 'a hook needs a handler',
    container: { lifecycle: { postStart: {} } },
    good: { container: { lifecycle: { postStart: { exec: { command: ['true'] } } } } },
    expect: ['spec.containers[0].lifecycle.postStart: Required value: must specify a handler type'],
  },
  {
    rule: 'sleep hook within the grace period',
    container: { lifecycle: { preStop: { sleep: { seconds: 60 } } } },
    good: { container: { lifecycle: { preStop: { sleep: { seconds: 30 } } } } },
    expect: ['spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)'],
  },
  // ---- init containers and sidecars ----
  {
    rule: 'no probes on a plain init container',
    spec: init({ readinessProbe: probe() }),
    good: { spec: init({ restartPolicy: 'Always', readinessProbe: probe() }) },
    expect: ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always'],
  },
  {
    rule: 'no lifecycle on a plain init container',
    spec: init({ lifecycle: { postStart: { exec: { command: ['true'] } } } }),
    good: { spec: init({ restartPolicy: 'Always', lifecycle: { postStart: { exec: { command: ['true'] } } } }) },
    expect: ['spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always'],
  },
  {
    rule: 'init container restartPolicy is Always only',
    spec: init({ restartPolicy: 'OnFailure' }),
    good: { spec: init({ restartPolicy: 'Always' }) },
    expect: ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
  },
  {
    rule: 'init container image is required',
    spec: init({ image: undefined }),
    good: { spec: init({}) },
    expect: ['spec.initContainers[0].image: Required value'],
  },
  {
    rule: 'container names unique across init and app containers',
    spec: init({ name: 'web' }),
    good: { spec: init({ name: 'setup' }) },
    expect: ['spec.initContainers[0].name: Duplicate value: "web"'],
  },
  // ---- security context ----
  {
    rule: 'runAsUser is not negative',
    container: { securityContext: { runAsUser: -1 } },
    good: { container: { securityContext: { runAsUser: 0 } } },
    expect: ['spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive'],
  },
  {
    rule: 'pod runAsGroup is not negative',
    spec: { securityContext: { runAsGroup: -5 } },
    good: { spec: { securityContext: { runAsGroup: 1000 } } },
    expect: ['spec.securityContext.runAsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive'],
  },
  {
    rule: 'supplementalGroups are group IDs',
    spec: { securityContext: { supplementalGroups: [1000, -1] } },
    good: { spec: { securityContext: { supplementalGroups: [1000, 0] } } },
    expect: ['spec.securityContext.supplementalGroups[1]: Invalid value: -1: must be between 0 and 2147483647, inclusive'],
  },
  {
    rule: 'allowPrivilegeEscalation false with privileged',
    container: { securityContext: { privileged: true, allowPrivilegeEscalation: false } },
    good: { container: { securityContext: { privileged: true } } },
    expect: ['spec.containers[0].securityContext: Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true'],
  },
  {
    rule: 'seccomp profile type values',
    container: { securityContext: { seccompProfile: { type: 'Default' } } },
    good: { container: { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } },
    expect: ['spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Default": supported values: "Localhost", "RuntimeDefault", "Unconfined"'],
  },
  {
    rule: 'procMount values',
    container: { securityContext: { procMount: 'Masked' } },
    good: { container: { securityContext: { procMount: 'Default' } } },
    expect: ['spec.containers[0].securityContext.procMount: Unsupported value: "Masked": supported values: "Default", "Unmasked"'],
  },
  {
    rule: 'sysctl names',
    spec: { securityContext: { sysctls: [{ name: 'Net/IPv4', value: '1' }] } },
    good: { spec: { securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] } } },
    expect: ['spec.securityContext.sysctls[0].name: Invalid value: "Net/IPv4": must have at most 253 characters and match regex ([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?'],
  },
  // ---- pod spec ----
  {
    rule: 'restartPolicy values',
    spec: { restartPolicy: 'always' },
    good: { spec: { restartPolicy: 'OnFailure' } },
    expect: ['spec.restartPolicy: Unsupported value: "always": supported values: "Always", "OnFailure", "Never"'],
  },
  {
    rule: 'dnsPolicy values',
    spec: { dnsPolicy: 'Host' },
    good: { spec: { dnsPolicy: 'Default' } },
    expect: ['spec.dnsPolicy: Unsupported value: "Host": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
  },
  {
    rule: 'dnsPolicy None needs nameservers',
    spec: { dnsPolicy: 'None', dnsConfig: { searches: ['example.com'] } },
    good: { spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.10'] } } },
    expect: ['spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None'],
  },
  {
    rule: 'nameservers are IP addresses',
    spec: { dnsConfig: { nameservers: ['dns.local'] } },
    good: { spec: { dnsConfig: { nameservers: ['2001:db8::53'] } } },
    expect: ['spec.dnsConfig.nameservers[0]: Invalid value: "dns.local": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  },
  {
    rule: 'hostname is a DNS label',
    spec: { hostname: 'my.host' },
    good: { spec: { hostname: 'my-host' } },
    expect: [
      "spec.hostname: Invalid value: \"my.host\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ],
  },
  {
    rule: 'nodeSelector keys are qualified names',
    spec: { nodeSelector: { 'disk type': 'ssd' } },
    good: { spec: { nodeSelector: { 'example.com/disk-type': 'ssd' } } },
    expect: [
      "spec.nodeSelector: Invalid value: \"disk type\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ],
  },
  {
    rule: 'toleration without key must use Exists',
    spec: { tolerations: [{ operator: 'Equal', value: 'x' }] },
    good: { spec: { tolerations: [{ operator: 'Exists' }] } },
    expect: ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
  },
  {
    rule: 'toleration operator values',
    spec: { tolerations: [{ key: 'k', operator: 'In' }] },
    good: { spec: { tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] } },
    expect: ['spec.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists"'],
  },
  {
    rule: 'toleration effect values',
    spec: { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoRun' }] },
    good: { spec: { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] } },
    expect: ['spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
  },
  {
    rule: 'tolerationSeconds only with NoExecute',
    spec: { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 10 }] },
    good: { spec: { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] } },
    expect: ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"],
  },
  {
    rule: 'toleration key is a qualified name',
    spec: { tolerations: [{ key: 'bad key', operator: 'Exists' }] },
    good: { spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] } },
    expect: [
      "spec.tolerations[0].key: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ],
  },
  {
    rule: 'activeDeadlineSeconds >= 1',
    spec: { activeDeadlineSeconds: 0 },
    good: { spec: { activeDeadlineSeconds: 1 } },
    expect: ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  },
  {
    rule: 'runtimeClassName is a DNS subdomain',
    spec: { runtimeClassName: 'Kata_Containers' },
    good: { spec: { runtimeClassName: 'kata' } },
    expect: [
      "spec.runtimeClassName: Invalid value: \"Kata_Containers\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
  },
  {
    rule: 'os.name values',
    spec: { os: { name: 'Linux' } },
    good: { spec: { os: { name: 'linux' } } },
    expect: ['spec.os.name: Unsupported value: "Linux": supported values: "linux", "windows"'],
  },
  {
    rule: 'hostUsers false forbids host namespaces',
    spec: { hostUsers: false, hostPID: true },
    good: { spec: { hostUsers: false } },
    expect: ['spec.hostPID: Forbidden: when `hostUsers` is false'],
  },
  {
    rule: 'node affinity In needs values',
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In' }] }] } } } },
    good: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } } } },
    expect: ["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
  },
  {
    rule: 'node affinity operators',
    spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'Has' }] } }] } } },
    good: { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }] } } } },
    expect: ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator: Invalid value: "Has": not a valid selector operator'],
  },
  {
    rule: 'node affinity weight 1-100',
    spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } } },
    good: { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: {} }] } } } },
    expect: ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100'],
  },
  {
    rule: 'required node affinity values are label values; preferred ones are not checked (as upstream)',
    spec: { affinity: { nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['fast ssd'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['fast ssd'] }] } }],
    } } },
    good: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'Gt', values: ['3'] }] }] } } } } },
    expect: [
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: \"fast ssd\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
  },
  {
    rule: 'node affinity matchFields: only metadata.name, with one node name',
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'spec.unschedulable', operator: 'In', values: ['x'] }, { key: 'metadata.name', operator: 'In', values: ['Node_1'] }] }] } } } },
    good: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node1'] }] }] } } } } },
    expect: [
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid value: "spec.unschedulable": not a valid field selector key',
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[1].values[0]: Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
  },
  {
    rule: 'pod affinity terms: topologyKey required, selectors, namespaces, weight',
    spec: { affinity: {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }, namespaces: ['Kube_System'], topologyKey: '' }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } }] },
    } },
    good: { spec: { affinity: {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, namespaces: ['kube-system'], topologyKey: 'kubernetes.io/hostname' }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash'], topologyKey: 'kubernetes.io/hostname' } }] },
    } } },
    expect: [
      "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespace: Invalid value: \"Kube_System\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
      'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must be non-empty',
      'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100',
    ],
  },
  {
    rule: 'pod affinity matchLabelKeys / mismatchLabelKeys: need a labelSelector, not both lists',
    spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [
      { matchLabelKeys: ['app'], topologyKey: 'zone' },
      { labelSelector: { matchLabels: { tier: 'db' } }, matchLabelKeys: ['app'], mismatchLabelKeys: ['app'], topologyKey: 'zone' },
    ] } } },
    good: { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { tier: 'db' } }, matchLabelKeys: ['app'], mismatchLabelKeys: ['team'], topologyKey: 'zone' }] } } } },
    expect: [
      'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set',
      'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[1].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and mismatchLabelKeys',
    ],
  },
  {
    rule: 'topologySpreadConstraints: maxSkew, topologyKey, whenUnsatisfiable, minDomains, policies, duplicates',
    spec: { topologySpreadConstraints: [
      { maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Maybe' },
      { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 0, nodeAffinityPolicy: 'Sometimes' },
      { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
    ] },
    good: { spec: { topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', minDomains: 2, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash'] },
      { maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
    ] } },
    expect: [
      'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
      'spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty',
      'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
      'spec.topologySpreadConstraints[1].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, ScheduleAnyway}"',
      'spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: must be greater than zero',
      'spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway',
      'spec.topologySpreadConstraints[1].nodeAffinityPolicy: Unsupported value: "Sometimes": supported values: "Honor", "Ignore"',
    ],
  },
  {
    rule: 'topologySpreadConstraints matchLabelKeys: need a labelSelector, must not repeat its keys',
    spec: { topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['app'] },
      { maxSkew: 1, topologyKey: 'rack', whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['app'], labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } },
    ] },
    good: { spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['app'], labelSelector: { matchLabels: { tier: 'web' } } }] } },
    expect: [
      'spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set',
      'spec.topologySpreadConstraints[1].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and labelSelector',
    ],
  },
  {
    rule: 'resizePolicy: cpu or memory once each, NotRequired or RestartContainer',
    container: { resizePolicy: [{ resourceName: 'gpu', restartPolicy: 'Sometimes' }, { resourceName: 'gpu', restartPolicy: 'NotRequired' }] },
    good: { container: { resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }, { resourceName: 'memory', restartPolicy: 'RestartContainer' }] } },
    expect: [
      'spec.containers[0].resizePolicy: Unsupported value: "gpu": supported values: "cpu", "memory"',
      'spec.containers[0].resizePolicy: Unsupported value: "Sometimes": supported values: "NotRequired", "RestartContainer"',
      'spec.containers[0].resizePolicy[1]: Duplicate value: "gpu"',
      'spec.containers[0].resizePolicy: Unsupported value: "gpu": supported values: "cpu", "memory"',
    ],
  },
  {
    rule: "resizePolicy: NotRequired only under restartPolicy Never; never on init containers",
    container: { resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] },
    spec: { restartPolicy: 'Never', ...init({ resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] }) },
    good: { container: { resizePolicy: [{ resourceName: 'memory', restartPolicy: 'NotRequired' }] }, spec: { restartPolicy: 'Never' } },
    expect: [
      "spec.containers[0].resizePolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' when `restartPolicy` is 'Never'",
      'spec.initContainers[0].resizePolicy: Invalid value: [{"resourceName":"cpu","restartPolicy":"NotRequired"}]: must not be set for init containers',
    ],
  },
  {
    rule: 'lifecycle.stopSignal: only with spec.os.name, and a signal of that OS',
    container: { lifecycle: { stopSignal: 'SIGUSR1' } },
    good: { container: { lifecycle: { stopSignal: 'SIGUSR1' } }, spec: { os: { name: 'linux' } } },
    expect: ['spec.containers[0].lifecycle.stopSignal: Forbidden: may not be set for containers with empty `spec.os.name`'],
  },
  {
    rule: 'lifecycle.stopSignal: a Linux signal name',
    container: { lifecycle: { stopSignal: 'SIGFOO' } },
    spec: { os: { name: 'linux' } },
    good: { container: { lifecycle: { stopSignal: 'SIGRTMIN+3' } }, spec: { os: { name: 'linux' } } },
    expect: [/^spec\.containers\[0\]\.lifecycle\.stopSignal: Unsupported value: "SIGFOO": supported values: "SIGABRT", "SIGALRM", .*"SIGRTMAX-1", .*"SIGXFSZ"$/],
  },
  {
    rule: 'lifecycle.stopSignal: empty is required; Windows has only SIGKILL and SIGTERM',
    container: { lifecycle: { stopSignal: '' } },
    spec: { os: { name: 'linux' }, initContainers: [{ name: 'side', image: 'busybox', command: ['sleep', '60'], restartPolicy: 'Always', lifecycle: { stopSignal: 'SIGINT' } }] },
    good: { container: { lifecycle: { stopSignal: 'SIGKILL' } }, spec: { os: { name: 'windows' } } },
    expect: ['spec.containers[0].lifecycle.stopSignal: Required value'],
  },
  {
    rule: 'imagePullSecrets reference API objects',
    spec: { imagePullSecrets: [{ name: 'regcred' }] },
    good: {},
    expect: ['spec.imagePullSecrets[0]: Forbidden: static pods may not reference secrets'],
  },
];

describe('validation rules (upstream paths and wording)', () => {
  for (const row of ROWS) {
    it(row.rule, () => {
      const bad = validatePod(pod(row.container, row.spec), ORIGIN);
      const got = lines(bad);
      assert.equal(got.length, row.expect.length, got.join('\n'));
      row.expect.forEach((e, i) => (typeof e === 'string' ? assert.equal(got[i], e) : assert.match(got[i]!, e)));
      for (const p of bad) assert.ok(p.fix.length > 10, `a fix for ${p.field}`);
      assert.deepEqual(lines(validatePod(pod(row.good.container, row.good.spec), ORIGIN)), [], 'the valid variant passes');
    });
  }
});

describe('pod annotations with a meaning (upstream ValidatePodSpecificAnnotations)', () => {
  const withAnnotations = (annotations: Record<string, string>): Obj => {
    const p = pod();
    (p.metadata as Obj).annotations = annotations;
    return p;
  };

  it('AppArmor annotations name an existing container and a valid profile; seccomp annotations a valid profile', () => {
    assert.deepEqual(
      lines(
        validatePod(
          withAnnotations({
            'container.apparmor.security.beta.kubernetes.io/nosuch': 'runtime/default',
            'container.apparmor.security.beta.kubernetes.io/web': 'strict',
            'seccomp.security.alpha.kubernetes.io/pod': 'default',
            'controller.kubernetes.io/pod-deletion-cost': 'high',
          }),
          ORIGIN,
        ),
      ),
      [
        'metadata.annotations[container.apparmor.security.beta.kubernetes.io/nosuch]: Invalid value: "nosuch": container not found',
        'metadata.annotations[container.apparmor.security.beta.kubernetes.io/web]: Invalid value: "strict": invalid AppArmor profile name: "strict"',
        'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Invalid value: "default": must be a valid seccomp profile',
        'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "high": must be a 32bit integer',
      ],
    );
    const good = withAnnotations({
      'container.apparmor.security.beta.kubernetes.io/web': 'localhost/my-profile',
      'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
      'controller.kubernetes.io/pod-deletion-cost': '-5',
    });
    assert.deepEqual(lines(validatePod(good, ORIGIN)), []);
  });
});

describe('decoding rules', () => {
  const id = { nodeName: 'node1', source: 'file' as const, origin: ORIGIN };
  const json = (o: Obj): string => JSON.stringify(o, null, 2);

  it('a file starting with { is strict JSON: a trailing comma is an error with its line', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "a"},\n  "spec": {"containers": [{"name": "c", "image": "busybox"}]},\n}\n';
    const r = decodePodManifest(text, id);
    assert.deepEqual(r.pods, []);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /^is not valid JSON: .* \(at line 6, column 1\)$/);
    assert.match(r.problems[0]!.fix, /strict JSON/);
    assert.equal(decodePodManifest(text.replace('}]},\n}', '}]}\n}'), id).pods.length, 1, 'without the comma it decodes');
  });

  it('apiVersion is required', () => {
    const r = decodePodManifest(json({ kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }), id);
    assert.deepEqual(lines(r.problems), ['apiVersion: Required value']);
  });

  it('a volume without a source becomes an emptyDir', () => {
    const r = decodePodManifest(json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { volumes: [{ name: 'scratch' }], containers: [{ name: 'c', image: 'busybox' }] } }), id);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.pods[0]!.spec!.volumes![0], { name: 'scratch', emptyDir: {} });
  });

  it('a negative terminationGracePeriodSeconds is a warning and becomes 1', () => {
    const r = decodePodManifest(json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { terminationGracePeriodSeconds: -5, containers: [{ name: 'c', image: 'busybox' }] } }), id);
    assert.deepEqual(r.problems, []);
    assert.equal(r.pods[0]!.spec!.terminationGracePeriodSeconds, 1);
    assert.deepEqual(r.warnings.map((w) => `${w.field}: ${w.message}`), ['spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1']);
  });

  it('probe timings of 0 get the upstream defaults', () => {
    const r = decodePodManifest(
      json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'busybox', livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 0, timeoutSeconds: 0 } }] } }),
      id,
    );
    assert.deepEqual(r.problems, []);
    const p = r.pods[0]!.spec!.containers[0]!.livenessProbe!;
    assert.deepEqual([p.periodSeconds, p.timeoutSeconds, p.successThreshold, p.failureThreshold], [10, 1, 1, 3]);
  });
});

describe('warnings (upstream pkg/api/pod/warnings.go)', () => {
  const warn = (p: Obj): string[] => podWarnings(p, ORIGIN).map((w) => `${w.field}: ${w.message}`);

  it('says nothing about a clean pod', () => {
    assert.deepEqual(warn(pod()), []);
  });

  it('fractional memory, duplicate env, duplicate ports', () => {
    assert.deepEqual(
      warn(
        pod({
          resources: { limits: { memory: '0.5' } },
          env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }],
          ports: [{ containerPort: 80 }, { containerPort: 80 }],
        }),
      ),
      [
        'spec.containers[0].resources.limits[memory]: fractional byte value "0.5" is invalid, must be an integer',
        'spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
        'spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]',
      ],
    );
  });
});

describe('fields accepted but not acted on (as a kubelet with default feature gates)', () => {
  it('warns that lifecycle.stopSignal is not used, naming the container and the signal', () => {
    const decode = (manifest: Obj) => decodePodManifest(JSON.stringify(manifest), { nodeName: 'node1', source: 'file', origin: ORIGIN });
    const r = decode(pod({ lifecycle: { stopSignal: 'SIGQUIT' } }, { os: { name: 'linux' } }));
    assert.deepEqual(r.problems, []);
    assert.equal(r.pods.length, 1, 'the pod runs');
    assert.deepEqual(r.warnings.map((w) => w.field), ['spec.containers[0].lifecycle.stopSignal']);
    assert.match(r.warnings[0]!.message, /ContainerStopSignals .* container "web" is stopped with SIGTERM .*not SIGQUIT/);
    assert.deepEqual(decode(pod()).warnings, []);
    assert.deepEqual(decode(pod({ lifecycle: 'odd' }, { initContainers: 'odd' })).warnings, [], 'a malformed pod is refused, without a crash');
  });
});

describe('process runtime notices', () => {
  it('warns about a container without command and notes that image is not used', () => {
    const r = decodePodManifest(JSON.stringify(pod({ command: undefined })), { nodeName: 'node1', source: 'file', origin: ORIGIN });
    const notices = processRuntimeNotices(r.pods[0]!, ORIGIN);
    assert.deepEqual(notices.map((n) => `${n.severity} ${n.field}`), ['warning spec.containers[0].command', 'note ']);
    assert.match(notices[0]!.message, /no command: the process runtime cannot run it/);
    assert.deepEqual(processRuntimeNotices(decodePodManifest(JSON.stringify(pod()), { nodeName: 'n', source: 'file', origin: ORIGIN }).pods[0]!, ORIGIN).map((n) => n.severity), ['note']);
  });
});

describe('unknown fields (ignored by Kubernetes, so a typo silently changes the pod)', () => {
  it('names each unknown field at its path and suggests the known one', async () => {
    const schema = await loadPodSchema();
    const typo = pod({ comand: ['sleep'], ports: [{ containerPort: 80, protocl: 'TCP' }], resources: { limits: { memory: '1Gi' } } }, { volumes: [{ name: 'v', hostPath: { path: '/x', typ: 'Directory' } }] });
    (typo.metadata as Obj).lables = { a: 'b' };
    assert.deepEqual(unknownFieldWarnings(typo, schema, ORIGIN).map((w) => `${w.field}: ${w.message} / ${w.fix}`), [
      'metadata.lables: unknown field "lables" (Kubernetes ignores it) / did you mean "labels"? Otherwise remove it',
      'spec.containers[0].comand: unknown field "comand" (Kubernetes ignores it) / did you mean "command"? Otherwise remove it',
      'spec.containers[0].ports[0].protocl: unknown field "protocl" (Kubernetes ignores it) / did you mean "protocol"? Otherwise remove it',
      'spec.volumes[0].hostPath.typ: unknown field "typ" (Kubernetes ignores it) / did you mean "type"? Otherwise remove it',
    ]);
    const clean = decodePodManifest(JSON.stringify(pod({ livenessProbe: probe(), resources: { limits: { cpu: '1' } } })), { nodeName: 'n', source: 'file', origin: ORIGIN });
    assert.deepEqual(unknownFieldWarnings(clean.pods[0], schema, ORIGIN), [], 'a defaulted, identified static pod has only known fields');
  });
});

describe('shipped manifests', () => {
  it('every example and fixture manifest is valid, without warnings or unknown fields', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const schema = await loadPodSchema();
    const dirs = ['../../examples/manifests/', '../fixtures/manifests/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));
    let seen = 0;
    for (const dir of dirs) {
      for (const file of readdirSync(dir)) {
        const origin = `${dir}${file}`;
        const r = decodePodManifest(readFileSync(origin), { nodeName: 'node1', source: 'file', origin });
        assert.deepEqual(lines(r.problems), [], origin);
        assert.deepEqual(r.warnings, [], origin);
        assert.deepEqual(unknownFieldWarnings(r.pods[0], schema, origin), [], origin);
        seen++;
      }
    }
    assert.ok(seen >= 3);
  });
});
