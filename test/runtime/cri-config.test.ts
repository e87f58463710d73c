// The CRI configs berth sends (no containerd needed): sandbox, DNS, container, volumes, records.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { containerConfig, containerHash } from '../../src/runtime/cri/container.js';
import { protoPath } from '../../src/runtime/cri/client.js';
import { isoFromNanos, recordFromStatus } from '../../src/runtime/cri/records.js';
import { dnsConfig, parseResolvConf, sandboxConfig } from '../../src/runtime/cri/sandbox.js';
import { RuntimeError } from '../../src/runtime/types.js';

const RESOLV = '# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch example.org corp.example\noptions ndots:2 timeout:1\n';

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'kube-system', uid: 'u-1', labels: { app: 'web' }, annotations: { 'kubernetes.io/config.hash': 'h1' } },
    spec: { containers: [{ name: 'c', image: 'berth.test/busybox:1' }], ...spec },
  };
}

test('api.proto is found from the source tree', () => {
  assert.ok(existsSync(protoPath()));
  assert.match(protoPath(), /src\/runtime\/cri\/api\.proto$/);
});

describe('sandboxConfig', () => {
  test('hostNetwork: empty hostname, NODE network, no port mappings, kubelet log folder and labels', () => {
    const config = sandboxConfig(pod({ hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 80 }] }] }), {
      podLogsDir: '/var/log/pods',
      hostResolvConf: RESOLV,
      attempt: 0,
    });
    assert.equal(config.hostname, '');
    assert.equal(config.linux.securityContext.namespaceOptions.network, 'NODE');
    assert.equal(config.linux.securityContext.namespaceOptions.pid, 'CONTAINER');
    assert.deepEqual(config.portMappings, []);
    assert.equal(config.logDirectory, '/var/log/pods/kube-system_web_u-1');
    assert.deepEqual(config.metadata, { name: 'web', uid: 'u-1', namespace: 'kube-system', attempt: 0 });
    assert.equal(config.labels['io.kubernetes.pod.uid'], 'u-1');
    assert.equal(config.labels['io.kubernetes.pod.name'], 'web');
    assert.equal(config.labels['io.kubernetes.pod.namespace'], 'kube-system');
    assert.equal(config.labels['berth.managed'], 'true');
    assert.equal(config.labels.app, 'web');
    assert.equal(config.annotations['kubernetes.io/config.hash'], 'h1');
  });

  test('pod network: hostname is the pod name, POD network, host ports mapped', () => {
    const config = sandboxConfig(
      pod({ containers: [{ name: 'c', ports: [{ containerPort: 8080, hostPort: 18080 }, { containerPort: 53, hostPort: 5353, protocol: 'UDP' }, { containerPort: 9 }] }] }),
      { podLogsDir: '/logs', hostResolvConf: '', attempt: 2 },
    );
    assert.equal(config.hostname, 'web');
    assert.equal(config.metadata.attempt, 2);
    assert.equal(config.linux.securityContext.namespaceOptions.network, 'POD');
    assert.deepEqual(config.portMappings, [
      { protocol: 'TCP', containerPort: 8080, hostPort: 18080 },
      { protocol: 'UDP', containerPort: 53, hostPort: 5353 },
    ]);
  });

  test('hostPID / shareProcessNamespace / hostIPC and a privileged container', () => {
    const a = sandboxConfig(pod({ hostPID: true, hostIPC: true, containers: [{ name: 'c', securityContext: { privileged: true } }] }), {
      podLogsDir: '/l',
      hostResolvConf: '',
      attempt: 0,
    });
    assert.deepEqual(a.linux.securityContext.namespaceOptions, { network: 'POD', pid: 'NODE', ipc: 'NODE' });
    assert.equal(a.linux.securityContext.privileged, true);
    const b = sandboxConfig(pod({ shareProcessNamespace: true }), { podLogsDir: '/l', hostResolvConf: '', attempt: 0 });
    assert.equal(b.linux.securityContext.namespaceOptions.pid, 'POD');
  });
});

describe('DNS', () => {
  test('the node resolv.conf is parsed (comments, search, options)', () => {
    assert.deepEqual(parseResolvConf(RESOLV), {
      servers: ['10.0.0.2', '10.0.0.3'],
      searches: ['example.org', 'corp.example'],
      options: ['ndots:2', 'timeout:1'],
    });
  });

  test('dnsConfig merges spec.dnsConfig into the node config; policy None uses only the pod', () => {
    const merged = dnsConfig(
      pod({ dnsConfig: { nameservers: ['1.1.1.1'], searches: ['extra.local'], options: [{ name: 'ndots', value: '5' }, { name: 'rotate' }] } }),
      RESOLV,
    );
    assert.deepEqual(merged, {
      servers: ['10.0.0.2', '10.0.0.3', '1.1.1.1'],
      searches: ['example.org', 'corp.example', 'extra.local'],
      options: ['ndots:5', 'timeout:1', 'rotate'],
    });
    const none = dnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['9.9.9.9'] } }), RESOLV);
    assert.deepEqual(none, { servers: ['9.9.9.9'], searches: [], options: [] });
    assert.equal(dnsConfig(pod({ dnsPolicy: 'None' }), RESOLV), undefined);
  });
});

describe('containerConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cri-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = (p: Pod) => ({
    pod: p,
    container: p.spec!.containers[0]!,
    attempt: 4,
    sandbox: { podIP: '10.244.0.9', hostIP: '192.0.2.1' },
    logDirectory: '/var/log/pods/kube-system_web_u-1',
    logPath: '/var/log/pods/kube-system_web_u-1/c/4.log',
    volumesDir: join(dir, 'volumes'),
  });

  test('command/args/env, log path, labels, annotations, resources and security context', async () => {
    const p = pod({
      securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [5], fsGroup: 7 },
      containers: [
        {
          name: 'c',
          image: 'berth.test/busybox:1',
          command: ['sh', '-c'],
          args: ['echo $(IP)'],
          env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          workingDir: '/work',
          resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } },
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
        },
      ],
    });
    const config = await containerConfig(base(p));
    assert.deepEqual(config.command, ['sh', '-c']);
    assert.deepEqual(config.args, ['echo 10.244.0.9']);
    assert.deepEqual(config.envs, [{ key: 'IP', value: '10.244.0.9' }]);
    assert.equal(config.workingDir, '/work');
    assert.equal(config.logPath, 'c/4.log', 'relative to the sandbox log directory');
    assert.deepEqual(config.metadata, { name: 'c', attempt: 4 });
    assert.equal(config.labels['io.kubernetes.container.name'], 'c');
    assert.equal(config.labels['io.kubernetes.pod.uid'], 'u-1');
    assert.equal(config.labels['berth.managed'], 'true');
    assert.equal(config.annotations['io.kubernetes.container.restartCount'], '4');
    assert.equal(config.annotations['berth.container.hash'], containerHash(p.spec!.containers[0]!));
    assert.deepEqual(config.linux.resources, { cpuPeriod: 100000, cpuQuota: 50000, cpuShares: 256, memoryLimitInBytes: 64 * 1024 * 1024 });
    const sc = config.linux.securityContext;
    assert.deepEqual(sc.runAsUser, { value: 1000 });
    assert.deepEqual(sc.runAsGroup, { value: 3000 });
    assert.deepEqual(sc.supplementalGroups, [5, 7]);
    assert.equal(sc.readonlyRootfs, true);
    assert.equal(sc.noNewPrivs, true);
    assert.equal(sc.privileged, false);
    assert.deepEqual(sc.capabilities, { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
  });

  test('no CPU request or limit leaves the shares to the runtime; a changed spec changes the hash', async () => {
    const p = pod();
    const config = await containerConfig(base(p));
    assert.deepEqual(config.linux.resources, {});
    assert.notEqual(containerHash({ name: 'c', image: 'a:1' }), containerHash({ name: 'c', image: 'a:2' }));
  });

  test('emptyDir and hostPath DirectoryOrCreate folders are created; subPath joins', async () => {
    const hostDir = join(dir, 'host', 'made');
    const p = pod({
      volumes: [
        { name: 'scratch', emptyDir: { medium: 'Memory' } },
        { name: 'data', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
      ],
      containers: [
        {
          name: 'c',
          image: 'x:1',
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'data', mountPath: '/data', readOnly: true, subPath: 'sub', mountPropagation: 'HostToContainer' },
          ],
        },
      ],
    });
    const config = await containerConfig(base(p));
    const emptyDir = join(dir, 'volumes', 'u-1', 'volumes', 'scratch');
    const messageMount = config.mounts[3]!;
    assert.deepEqual(config.mounts, [
      { containerPath: '/scratch', hostPath: emptyDir, readonly: false },
      { containerPath: '/data', hostPath: join(hostDir, 'sub'), readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      // The kubelet-managed /etc/hosts of the pod.
      { containerPath: '/etc/hosts', hostPath: join(dir, 'volumes', 'u-1', 'etc-hosts'), readonly: false },
      // The termination message file, as the kubelet mounts it: fresh, empty, writable by any user.
      { containerPath: '/dev/termination-log', hostPath: messageMount.hostPath, readonly: false },
    ]);
    assert.equal(dirname(messageMount.hostPath), join(dir, 'volumes', 'u-1', 'containers', 'c'));
    assert.equal(statSync(messageMount.hostPath).size, 0);
    assert.equal(statSync(messageMount.hostPath).mode & 0o777, 0o666);
    assert.equal(config.annotations['io.kubernetes.container.terminationMessagePath'], '/dev/termination-log');
    assert.equal(config.annotations['io.kubernetes.container.terminationMessagePolicy'], 'File');
    assert.equal(statSync(emptyDir).mode & 0o777, 0o777);
    assert.ok(statSync(join(hostDir, 'sub')).isDirectory());
  });

  test('unsupported volumes, a missing Directory, an escaping subPath and runAsNonRoot with uid 0 are config errors', async () => {
    const cases: Array<[Pod, RegExp]> = [
      [
        pod({ volumes: [{ name: 'cm', configMap: { name: 'x' } }], containers: [{ name: 'c', image: 'x:1', volumeMounts: [{ name: 'cm', mountPath: '/cm' }] }] }),
        /spec\.volumes\[0\] \(cm\): volume type "configMap" is not supported/,
      ],
      [
        pod({ volumes: [{ name: 'h', hostPath: { path: join(dir, 'absent'), type: 'Directory' } }], containers: [{ name: 'c', image: 'x:1', volumeMounts: [{ name: 'h', mountPath: '/h' }] }] }),
        /hostPath: .*absent is not a directory/,
      ],
      [pod({ containers: [{ name: 'c', image: 'x:1', volumeMounts: [{ name: 'nope', mountPath: '/n' }] }] }), /no volume named "nope"/],
      [
        pod({ volumes: [{ name: 's', emptyDir: {} }], containers: [{ name: 'c', image: 'x:1', volumeMounts: [{ name: 's', mountPath: '/s', subPath: '../../etc' }] }] }),
        /subPath: must be a relative path/,
      ],
      [pod({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x:1', securityContext: { runAsUser: 0 } }] }), /runAsNonRoot/],
      [pod({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x:1' }] }), /runAsNonRoot is true and image "x:1" will run as root/],
      [
        pod({ containers: [{ name: 'c', image: 'x:1', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'none.json' } } }] }),
        /seccompProfile: the Localhost profile .*none\.json does not exist/,
      ],
      [
        pod({ containers: [{ name: 'c', image: 'x:1', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../etc/x.json' } } }] }),
        /localhostProfile must be a relative path/,
      ],
      [pod({ containers: [{ name: 'c', image: 'x:1', resources: { limits: { 'nvidia.com/gpu': '1' } } }] }), /resources\.limits\[nvidia\.com\/gpu\].*the containerd runtime of berth cannot honour it/],
      [pod({ containers: [{ name: 'c', image: 'x:1', volumeMounts: [{ name: 'v', mountPath: '/v', subPathExpr: '$(POD)' }] }], volumes: [{ name: 'v', emptyDir: {} }] }), /subPathExpr/],
    ];
    for (const [p, message] of cases) {
      await assert.rejects(containerConfig(base(p)), (err: unknown) => {
        assert.ok(err instanceof RuntimeError);
        assert.equal(err.reason, 'CreateContainerConfigError');
        assert.match(err.message, message);
        return true;
      });
    }
  });
});

describe('records', () => {
  test('nanosecond timestamps and an exited status become a ContainerRecord', () => {
    assert.equal(isoFromNanos('0'), undefined);
    assert.equal(isoFromNanos('1700000000123456789'), '2023-11-14T22:13:20.123Z');
    const record = recordFromStatus({
      id: 'abc',
      metadata: { name: 'c', attempt: 2 },
      state: 'CONTAINER_EXITED',
      createdAt: '1700000000000000000',
      startedAt: '1700000001000000000',
      finishedAt: '1700000002000000000',
      exitCode: 1,
      mounts: [],
      reason: '',
      message: '',
      labels: { 'io.kubernetes.pod.uid': 'u', 'io.kubernetes.pod.name': 'p', 'io.kubernetes.pod.namespace': 'ns', 'io.kubernetes.container.name': 'c' },
      annotations: { 'io.kubernetes.container.restartCount': '5' },
      logPath: '/logs/c/5.log',
    });
    assert.deepEqual(record, {
      id: 'abc',
      podUid: 'u',
      podName: 'p',
      podNamespace: 'ns',
      containerName: 'c',
      attempt: 5,
      state: 'exited',
      createdAt: '2023-11-14T22:13:20.000Z',
      startedAt: '2023-11-14T22:13:21.000Z',
      finishedAt: '2023-11-14T22:13:22.000Z',
      exitCode: 1,
      reason: 'Error',
      logPath: '/logs/c/5.log',
    });
  });
});
