// The protobuf codec on its own: JSON -> protobuf -> JSON round-trips for fully populated objects
// (hand-written typed Pod/Node/Event/Lease, and one object per served kind with every schema field
// set), wire compatibility with protobufjs' own decoder and encoder, the Time/MicroTime/Quantity/
// IntOrString conversions, the `k8s\0` envelope, and what a truncated or wrong body gets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import type { Event, Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Status } from 'kubernetes-types/meta/v1';
import { decodeProtobuf, encodeProtobuf, encodeWatchFrame, ProtobufDecodeError } from '../../src/apiserver/protobuf/index.js';
import { CORE, decodeBody, encodeBody, MAGIC, META, protoRoot, readFrames } from './protobuf-client.js';

type Json = Record<string, unknown>;
const roundTrip = (o: object) => decodeProtobuf(encodeProtobuf(o as Json));

const T0 = '2024-05-01T12:00:00Z';
const T1 = '2024-05-01T12:00:07Z';

export const fullPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'static-web-my-node1',
    generateName: 'static-web-',
    namespace: 'default',
    uid: '56920ef6-3533-43fe-adfe-d8d5eeed0d61',
    resourceVersion: '1796170986994005',
    generation: 3,
    creationTimestamp: T0,
    deletionTimestamp: T1,
    deletionGracePeriodSeconds: 30,
    labels: { role: 'web', empty: '' },
    annotations: { 'kubernetes.io/config.mirror': 'a1b2c3', 'kubernetes.io/config.source': 'file' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'my-node1', uid: 'dfca3978', controller: true, blockOwnerDeletion: false }],
    finalizers: ['example.com/keep'],
    managedFields: [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:role': {} } } },
        subresource: 'status',
      },
    ],
  },
  spec: {
    nodeName: 'my-node1',
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 0,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'default',
    automountServiceAccountToken: false,
    hostNetwork: true,
    hostPID: false,
    shareProcessNamespace: true,
    hostname: 'web',
    subdomain: 'sub',
    schedulerName: 'default-scheduler',
    priorityClassName: 'system-node-critical',
    priority: 2000001000,
    enableServiceLinks: false,
    preemptionPolicy: 'PreemptLowerPriority',
    overhead: { cpu: '10m' },
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      fsGroup: 2000,
      supplementalGroups: [3000, 4000],
      sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
      seccompProfile: { type: 'RuntimeDefault' },
      seLinuxOptions: { level: 's0:c123,c456' },
    },
    hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }],
    dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
    tolerations: [{ key: 'node-role', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 300 }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['my-node1'] }] }],
        },
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { role: 'web' } } },
    ],
    readinessGates: [{ conditionType: 'example.com/ready' }],
    os: { name: 'linux' },
    volumes: [
      { name: 'data', hostPath: { path: '/var/lib/web', type: 'DirectoryOrCreate' } },
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'conf', configMap: { name: 'web-conf', items: [{ key: 'a', path: 'a.conf', mode: 0o644 }], defaultMode: 0o420, optional: true } },
      { name: 'token', secret: { secretName: 'web-token', defaultMode: 0o400 } },
      {
        name: 'proj',
        projected: {
          sources: [
            { configMap: { name: 'p-conf' } },
            { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
            { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
          ],
        },
      },
    ],
    initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', 'true'], restartPolicy: 'Always' }],
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        command: ['nginx'],
        args: ['-g', 'daemon off;', ''],
        workingDir: '/srv',
        ports: [{ name: 'http', containerPort: 8080, hostPort: 80, protocol: 'TCP', hostIP: '0.0.0.0' }],
        env: [
          { name: 'EMPTY', value: '' },
          { name: 'MODE', value: 'prod' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'web-conf', key: 'key', optional: false } } },
          { name: 'PASS', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'pass' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { containerName: 'web', resource: 'limits.cpu', divisor: '1m' } } },
        ],
        envFrom: [{ prefix: 'CM_', configMapRef: { name: 'web-env' } }, { secretRef: { name: 'web-env-secret', optional: true } }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '128Mi', 'ephemeral-storage': '1Gi' } },
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true, subPath: 'web', mountPropagation: 'HostToContainer' }],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
          initialDelaySeconds: 5,
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
          terminationGracePeriodSeconds: 15,
        },
        readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 2 },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'echo started'] } },
          preStop: { httpGet: { path: '/stop', port: 'http', host: '127.0.0.1' } },
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        securityContext: {
          privileged: false,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          runAsUser: 0,
          procMount: 'Default',
        },
        stdin: true,
        stdinOnce: false,
        tty: true,
      },
    ],
    ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', targetContainerName: 'web', stdin: true, command: ['sh'] }],
  },
  status: {
    phase: 'Running',
    message: 'all good',
    reason: '',
    hostIP: '10.0.0.1',
    hostIPs: [{ ip: '10.0.0.1' }],
    podIP: '10.0.0.5',
    podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }],
    startTime: T0,
    qosClass: 'Burstable',
    nominatedNodeName: 'my-node1',
    conditions: [
      { type: 'Ready', status: 'True', lastProbeTime: T1, lastTransitionTime: T0 },
      { type: 'PodScheduled', status: 'True', reason: 'Static', message: 'static pod' },
    ],
    initContainerStatuses: [
      {
        name: 'init',
        ready: true,
        restartCount: 0,
        image: 'busybox:1.36',
        imageID: '',
        state: { terminated: { exitCode: 0, signal: 0, reason: 'Completed', message: 'done', startedAt: T0, finishedAt: T1, containerID: 'process://1' } },
      },
    ],
    containerStatuses: [
      {
        name: 'web',
        ready: false,
        started: true,
        restartCount: 3,
        image: 'nginx:1.27',
        imageID: 'sha256:abc',
        containerID: 'process://1234',
        state: { running: { startedAt: T1 } },
        lastState: { terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled', startedAt: T0, finishedAt: T1 } },
        allocatedResources: { cpu: '250m' },
        resources: { limits: { cpu: '500m' } },
      },
      { name: 'side', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } } },
    ],
  },
};

export const fullNode: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'my-node1',
    uid: 'dfca3978-e17a-475d-ad68-00a740359185',
    resourceVersion: '42',
    creationTimestamp: T0,
    labels: { 'kubernetes.io/hostname': 'my-node1', 'node-role.kubernetes.io/static': '' },
    annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
  },
  spec: {
    podCIDR: '10.0.0.0/24',
    podCIDRs: ['10.0.0.0/24', 'fd00::/64'],
    providerID: 'berth://my-node1',
    unschedulable: true,
    taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: T0 }, { key: 'dedicated', value: 'web', effect: 'NoExecute' }],
  },
  status: {
    capacity: { cpu: '2', memory: '4028300Ki', pods: '110', 'ephemeral-storage': '61255492Ki' },
    allocatable: { cpu: '1900m', memory: '3925900Ki', pods: '110' },
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastHeartbeatTime: T1, lastTransitionTime: T0, reason: 'KubeletReady', message: 'berth is posting ready status' },
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: T1, lastTransitionTime: T0, reason: 'KubeletHasSufficientMemory', message: 'ok' },
    ],
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'my-node1' }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: 'm',
      systemUUID: 'u',
      bootID: 'b',
      kernelVersion: '6.1.0',
      osImage: 'Debian GNU/Linux 12',
      containerRuntimeVersion: 'process://0.1.0',
      kubeletVersion: 'v1.32.0-berth',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
    images: [{ names: ['nginx:1.27', 'docker.io/library/nginx@sha256:abc'], sizeBytes: 72_000_000_123 }],
    volumesInUse: ['kubernetes.io/csi/x'],
    volumesAttached: [{ name: 'kubernetes.io/csi/x', devicePath: '/dev/x' }],
    runtimeHandlers: [{ name: 'runc', features: { recursiveReadOnlyMounts: false } }],
  },
};

const fullEvent: Event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'static-web-my-node1.17a0001', namespace: 'default', resourceVersion: '7', creationTimestamp: T0 },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'static-web-my-node1', uid: 'a1b2', apiVersion: 'v1', resourceVersion: '5', fieldPath: 'spec.containers{web}' },
  reason: 'BackOff',
  message: 'Back-off restarting failed container web',
  source: { component: 'berth', host: 'my-node1' },
  firstTimestamp: T0,
  lastTimestamp: T1,
  count: 12,
  type: 'Warning',
  eventTime: '2024-05-01T12:00:00.123456Z',
  series: { count: 4, lastObservedTime: '2024-05-01T12:00:05.000001Z' },
  action: 'Restarting',
  related: { kind: 'Node', name: 'my-node1' },
  reportingComponent: 'berth',
  reportingInstance: 'my-node1',
};

const fullLease: Lease = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'my-node1', namespace: 'kube-node-lease', resourceVersion: '9', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'my-node1', uid: 'u' }] },
  spec: { holderIdentity: 'my-node1', leaseDurationSeconds: 40, acquireTime: '2024-05-01T12:00:00.000000Z', renewTime: '2024-05-01T12:00:30.500000Z', leaseTransitions: 0 },
};

const fullNamespace: Namespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'x', uid: 'u', resourceVersion: '3', creationTimestamp: T0, labels: { 'kubernetes.io/metadata.name': 'x' } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active', conditions: [{ type: 'NamespaceDeletionContentFailure', status: 'False', lastTransitionTime: T0, reason: 'ContentDeleted', message: 'ok' }] },
};

const fullService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.0.1',
    clusterIPs: ['10.96.0.1'],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }, { name: 'named', port: 80, targetPort: 'http', nodePort: 30080 }],
    selector: { app: 'x' },
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    internalTrafficPolicy: 'Cluster',
  },
  status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', ports: [{ port: 443, protocol: 'TCP' }] }] } },
};

const fullStatus: Status = {
  apiVersion: 'v1',
  kind: 'Status',
  metadata: { resourceVersion: '5' },
  status: 'Failure',
  message: 'Pod "x" is invalid: spec.containers[0].name: Required value',
  reason: 'Invalid',
  code: 422,
  details: { name: 'x', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].name' }], retryAfterSeconds: 1 },
};

describe('protobuf codec', () => {
  for (const [what, o] of [
    ['Pod', fullPod],
    ['Node', fullNode],
    ['Event (MicroTime)', fullEvent],
    ['Lease (MicroTime)', fullLease],
    ['Namespace', fullNamespace],
    ['Service (IntOrString)', fullService],
    ['Status', fullStatus],
  ] as const) {
    test(`a fully populated ${what} round-trips JSON -> protobuf -> JSON unchanged`, () => {
      assert.deepEqual(roundTrip(o), o);
    });
  }

  test('lists round-trip with their metadata (items carry no apiVersion/kind on the wire)', () => {
    const { apiVersion: _a, kind: _k, ...item } = fullPod;
    const list = { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '99', continue: 'abc', remainingItemCount: 4 }, items: [item, item] };
    assert.deepEqual(roundTrip(list), list);
  });

  test('every field of every served kind round-trips (objects generated from the schema itself)', () => {
    const kinds: [string, string][] = [
      ['v1', 'Pod'],
      ['v1', 'Node'],
      ['v1', 'Namespace'],
      ['v1', 'Event'],
      ['v1', 'Service'],
      ['v1', 'Status'],
      ['v1', 'DeleteOptions'],
      ['coordination.k8s.io/v1', 'Lease'],
      ['authorization.k8s.io/v1', 'SelfSubjectAccessReview'],
      ['authorization.k8s.io/v1', 'SelfSubjectRulesReview'],
      ['authentication.k8s.io/v1', 'SelfSubjectReview'],
      ['meta.k8s.io/v1', 'PartialObjectMetadataList'],
    ];
    for (const [apiVersion, kind] of kinds) {
      const pkg = kind === 'Status' || kind === 'DeleteOptions' || apiVersion.startsWith('meta') ? META : apiVersion === 'v1' ? CORE : `k8s.io.api.${apiVersion.split('.')[0]}.v1`;
      const o = { apiVersion, kind, ...sample(protoRoot().lookupType(`${pkg}.${kind}`), new Set()) };
      const fields = countLeaves(o);
      assert.ok(fields > 5, `${kind}: generated only ${fields} fields`);
      assert.deepEqual(roundTrip(o), o, `${kind} (${fields} leaf fields)`);
    }
  });

  test('the wire form is what protobufjs itself reads: envelope, Time, Quantity, IntOrString, inline structs', () => {
    const body = encodeProtobuf(fullPod as Json);
    assert.deepEqual(body.subarray(0, 4), MAGIC);
    const d = decodeBody(body);
    assert.equal(d.apiVersion, 'v1');
    assert.equal(d.kind, 'Pod');
    const pod = d.object;
    assert.equal(pod.metadata.name, 'static-web-my-node1');
    assert.deepEqual(pod.metadata.creationTimestamp, { seconds: Date.parse(T0) / 1000 });
    assert.equal(pod.metadata.resourceVersion, '1796170986994005');
    assert.deepEqual(pod.spec.containers[0].resources.limits.cpu, { string: '500m' });
    assert.deepEqual(pod.spec.containers[0].livenessProbe.handler.httpGet.port, { type: 0, intVal: 8080 });
    assert.deepEqual(pod.spec.containers[0].readinessProbe.handler.tcpSocket.port, { type: 1, strVal: 'http' });
    assert.equal(pod.spec.volumes[0].volumeSource.hostPath.path, '/var/lib/web');
    assert.equal(pod.spec.volumes[2].volumeSource.configMap.localObjectReference.name, 'web-conf');
    assert.equal(pod.spec.ephemeralContainers[0].ephemeralContainerCommon.name, 'debugger');
    assert.equal(pod.spec.ephemeralContainers[0].targetContainerName, 'web');
    assert.deepEqual(JSON.parse(pod.metadata.managedFields[0].fieldsV1.Raw.toString()), fullPod.metadata!.managedFields![0]!.fieldsV1);
    assert.equal(pod.status.containerStatuses[0].ready, false);
    const lease = decodeBody(encodeProtobuf(fullLease as Json)).object;
    assert.deepEqual(lease.spec.renewTime, { seconds: Date.parse('2024-05-01T12:00:30Z') / 1000, nanos: 500_000_000 });
  });

  test('a body written the Go way (every string field present, empty ones too) reads as the JSON the client meant', () => {
    const body = encodeBody('v1', 'Namespace', {
      metadata: { name: 'x', generateName: '', namespace: '', uid: '', resourceVersion: '', creationTimestamp: {}, labels: { a: '' } },
      spec: {},
      status: { phase: '' },
    });
    assert.deepEqual(decodeProtobuf(body, { dropEmptyStrings: true }), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { a: '' } }, spec: {}, status: {} });
    // Without the option every field on the wire comes back, and an empty Time is still "unset".
    assert.deepEqual(decodeProtobuf(body).metadata, { name: 'x', generateName: '', namespace: '', uid: '', resourceVersion: '', labels: { a: '' } });
  });

  test('Time keeps seconds only and MicroTime microseconds, as upstream', () => {
    const ev = roundTrip({ ...fullEvent, firstTimestamp: '2024-05-01T14:00:00.999+02:00', eventTime: '2024-05-01T12:00:00.123456789Z' });
    assert.equal(ev['firstTimestamp'], '2024-05-01T12:00:00Z');
    assert.equal(ev['eventTime'], '2024-05-01T12:00:00.123456Z');
  });

  test('a bare number as a quantity is written as its string', () => {
    const n = roundTrip({ ...fullNode, status: { capacity: { cpu: 2 } } }) as { status: { capacity: { cpu: unknown } } };
    assert.equal(n.status.capacity.cpu, '2');
  });

  test('a field of the wrong JSON type names its path', () => {
    assert.throws(() => encodeProtobuf({ ...fullPod, spec: { containers: [{ name: 'web', ports: [{ containerPort: '80' }] }] } } as Json), /Pod\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer, found "80"/);
    assert.throws(() => encodeProtobuf({ ...fullPod, metadata: { name: 'x', creationTimestamp: 'yesterday' } } as Json), /Pod\.metadata\.creationTimestamp: expected an RFC3339 time/);
  });

  test('watch events are length-prefixed WatchEvent frames holding a full protobuf body', () => {
    const stream = Buffer.concat([encodeWatchFrame('ADDED', fullPod as Json), encodeWatchFrame('DELETED', fullPod as Json)]);
    assert.equal(stream.readUInt32BE(0), encodeWatchFrame('ADDED', fullPod as Json).length - 4);
    const { events, rest } = readFrames(stream);
    assert.deepEqual(events.map((e) => [e.type, e.object.kind, e.object.object.metadata.name]), [
      ['ADDED', 'Pod', 'static-web-my-node1'],
      ['DELETED', 'Pod', 'static-web-my-node1'],
    ]);
    assert.equal(rest.length, 0);
  });
});

describe('protobuf bodies that are wrong', () => {
  const good = encodeProtobuf(fullPod as Json);

  test('every truncation of a valid body is a clear decode error, never a crash or a partial object', () => {
    // The body ends with the envelope's two empty content fields (2 bytes each), which are optional:
    // every cut before them is inside the object or the envelope.
    for (let n = 0; n <= good.length - 5; n++) {
      assert.throws(
        () => decodeProtobuf(good.subarray(0, n)),
        (err: unknown) => err instanceof ProtobufDecodeError && /empty|prefix|truncated|malformed|past its end/.test(err.message),
        `cut at ${n} of ${good.length} bytes`,
      );
    }
  });

  test('no prefix, or JSON sent as protobuf, says what the prefix must be', () => {
    assert.throws(() => decodeProtobuf(Buffer.from('{"kind":"Pod"}')), (e: Error) => e instanceof ProtobufDecodeError && /does not start with the protobuf prefix \(found 7b 22 6b 69\).*6b 38 73 00/.test(e.message));
    assert.throws(() => decodeProtobuf(MAGIC), /no envelope after it/);
  });

  test('an envelope without kind, or with a kind not served, is refused by name', () => {
    const U = protoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    const env = (tm: Json) => Buffer.concat([MAGIC, U.encode(U.fromObject({ typeMeta: tm, raw: Buffer.alloc(0) })).finish()]);
    assert.throws(() => decodeProtobuf(env({ apiVersion: 'v1' })), /Object 'Kind' is missing/);
    assert.throws(() => decodeProtobuf(env({ kind: 'Pod' })), /apiVersion' is missing/);
    assert.throws(() => decodeProtobuf(env({ apiVersion: 'apps/v1', kind: 'Deployment' })), /kind "Deployment" of apiVersion "apps\/v1", which this server has no protobuf schema for/);
  });

  test('a field with the wrong wire type is refused with its path', () => {
    // metadata (field 1) written as a varint instead of a message.
    const w = protobuf.Writer.create().uint32(8).uint32(5).finish();
    const U = protoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    const body = Buffer.concat([MAGIC, U.encode(U.fromObject({ typeMeta: { apiVersion: 'v1', kind: 'Pod' }, raw: w })).finish()]);
    assert.throws(() => decodeProtobuf(body), /Pod\.metadata: wire type 0 where length-delimited data \(2\) belongs/);
  });
});

// ---- generating a value for every field of a message -------------------------------------------

const SPECIAL_SAMPLES: Record<string, (n: number) => unknown> = {
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Time': () => T0,
  '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': () => '2024-05-01T12:00:00.654321Z',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': () => ({ 'f:spec': { '.': {} } }),
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': () => ({ any: ['json', 1] }),
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': () => '1500m',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': (n) => (n % 2 ? 'named-port' : 8443),
};

let counter = 0;
function scalar(type: string, name: string): unknown {
  counter++;
  switch (type) {
    case 'string':
      return `${name}-${counter}`;
    case 'int32':
      return counter % 2 ? -counter : counter;
    case 'int64':
      return 2 ** 40 + counter;
    case 'bool':
      return counter % 2 === 0;
    case 'bytes':
      return Buffer.from([counter, 1, 2]).toString('base64');
    default:
      throw new Error(`no sample for ${type}`);
  }
}

function value(f: protobuf.Field, stack: Set<string>): unknown {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) {
    const special = SPECIAL_SAMPLES[t.fullName];
    return special ? special(counter++) : sample(t, stack);
  }
  return scalar(f.type, f.name);
}

/** An object with every field of `type` set (inline structs flattened into it, as in JSON). */
function sample(type: protobuf.Type, stack: Set<string>): Json {
  const out: Json = {};
  if (stack.has(type.fullName)) return out;
  stack.add(type.fullName);
  for (const f of type.fieldsArray) {
    if (f.options?.['(inline)'] === true) {
      Object.assign(out, sample(f.resolvedType as protobuf.Type, stack));
    } else if (f instanceof protobuf.MapField) {
      out[f.name] = { [`k${counter++}`]: value(f, stack), [`j${counter++}`]: value(f, stack) };
    } else if (f.repeated) {
      out[f.name] = [value(f, stack), value(f, stack)];
    } else {
      out[f.name] = value(f, stack);
    }
  }
  stack.delete(type.fullName);
  return out;
}

function countLeaves(v: unknown): number {
  if (v === null || typeof v !== 'object') return 1;
  return Object.values(v as Json).reduce<number>((n, x) => n + countLeaves(x), 0);
}
