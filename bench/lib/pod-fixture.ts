// A mirror pod as berth publishes it for a typical control-plane-style static pod: labels, the
// config annotations, a Node owner, a container with command, env, ports, probes, resources and
// mounts, and a Running status with conditions and a container status. About 3.5 KB of JSON, so
// list and watch numbers reflect realistic object sizes rather than empty shells.
import type { Pod } from 'kubernetes-types/core/v1';

export const FIXTURE_NODE = 'bench';
const NODE_UID = '9b0c4b9e-0d3c-4c55-9a53-3c1f2b4f7a10';

export function mirrorPodFixture(name: string, index: number): Pod {
  const hash = (0x9e3779b1 * (index + 1)).toString(16).padStart(8, '0').slice(-8).repeat(4);
  const started = new Date(Date.UTC(2026, 0, 1, 0, 0, index % 60)).toISOString().replace('.000Z', 'Z');
  const image = `registry.k8s.io/app-${index % 7}:v1.30.${index % 10}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { component: `app-${index % 7}`, tier: 'control-plane', 'app.kubernetes.io/instance': name },
      annotations: {
        'kubernetes.io/config.mirror': hash,
        'kubernetes.io/config.hash': hash,
        'kubernetes.io/config.seen': started,
        'kubernetes.io/config.source': 'file',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: FIXTURE_NODE, uid: NODE_UID, controller: true }],
    },
    spec: {
      nodeName: FIXTURE_NODE,
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      schedulerName: 'default-scheduler',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['/usr/local/bin/app', `--instance=${name}`, '--listen=127.0.0.1', `--port=${10000 + index}`, '--v=2'],
          env: [
            { name: 'GOMAXPROCS', value: '2' },
            { name: 'INSTANCE', value: name },
          ],
          ports: [{ name: 'http', containerPort: 10000 + index, hostPort: 10000 + index, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          livenessProbe: {
            httpGet: { host: '127.0.0.1', path: '/livez', port: 10000 + index, scheme: 'HTTP' },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 15,
            failureThreshold: 8,
            successThreshold: 1,
          },
          readinessProbe: {
            httpGet: { host: '127.0.0.1', path: '/readyz', port: 10000 + index, scheme: 'HTTP' },
            periodSeconds: 1,
            timeoutSeconds: 15,
            failureThreshold: 3,
            successThreshold: 1,
          },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/app', readOnly: true },
            { name: 'data', mountPath: '/var/lib/app' },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      volumes: [
        { name: 'config', hostPath: { path: `/etc/app/${name}`, type: 'DirectoryOrCreate' } },
        { name: 'data', hostPath: { path: `/var/lib/app/${name}`, type: 'DirectoryOrCreate' } },
      ],
    },
    status: {
      phase: 'Running',
      qosClass: 'Burstable',
      hostIP: '10.0.0.10',
      hostIPs: [{ ip: '10.0.0.10' }],
      podIP: '10.0.0.10',
      podIPs: [{ ip: '10.0.0.10' }],
      startTime: started,
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: started },
        { type: 'Initialized', status: 'True', lastTransitionTime: started },
        { type: 'Ready', status: 'True', lastTransitionTime: started },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: started },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: started },
      ],
      containerStatuses: [
        {
          name: 'main',
          image,
          imageID: `${image}@sha256:${hash}${hash}`.slice(0, image.length + 72),
          containerID: `berth://${hash}`,
          ready: true,
          started: true,
          restartCount: index % 3,
          state: { running: { startedAt: started } },
          lastState: {},
        },
      ],
    },
  };
}
