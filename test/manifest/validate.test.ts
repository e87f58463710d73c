import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, validatePod, type ManifestProblem } from '../../src/manifest/index.js';

const ORIGIN = '/m/web.yaml';

/** A minimal valid (already defaulted-looking) pod, with `spec` fields merged in. */
function pod(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-node1', namespace: 'default', ...metadata },
    spec: { containers: [{ name: 'web', image: 'busybox', command: ['sleep', '60'] }], ...spec },
  };
}

/** `field: message` lines, the shape users see. */
function lines(problems: ManifestProblem[]): string[] {
  return problems.map((p) => `${p.field}: ${p.message}`);
}

function single(problems: ManifestProblem[]): ManifestProblem {
  assert.equal(problems.length, 1, problems.map(formatProblem).join('\n'));
  const p = problems[0]!;
  assert.equal(p.origin, ORIGIN);
  assert.equal(p.reason, 'FailedValidation');
  assert.ok(p.fix.length > 10);
  return p;
}

describe('validatePod', () => {
  it('accepts a valid pod', () => {
    assert.deepEqual(validatePod(pod(), ORIGIN), []);
  });

  it('rejects a non-object', () => {
    assert.equal(single(validatePod('pod', ORIGIN)).field, '');
    assert.equal(single(validatePod([1], ORIGIN)).field, '');
  });

  it('rejects an invalid name in Kubernetes wording', () => {
    const p = single(validatePod(pod({}, { name: 'Web_Server' }), ORIGIN));
    assert.equal(p.field, 'metadata.name');
    assert.match(p.message, /^Invalid value: "Web_Server": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters/);
  });

  it('rejects a name longer than 253 characters', () => {
    const p = single(validatePod(pod({}, { name: 'a'.repeat(254) }), ORIGIN));
    assert.equal(p.field, 'metadata.name');
    assert.match(p.message, /must be no more than 253 characters/);
    assert.match(p.fix, /appends/);
  });

  it('rejects an invalid namespace, label keys and values, annotation keys', () => {
    const problems = validatePod(
      pod({}, { namespace: 'Kube_System', labels: { 'example.com/app': 'ok', 'bad/key/x': 'v', app: 'x'.repeat(64), empty: '' }, annotations: { '-bad': 'v' } }),
      ORIGIN,
    );
    assert.deepEqual(problems.map((p) => p.field), ['metadata.namespace', 'metadata.labels', 'metadata.labels', 'metadata.annotations']);
    assert.match(problems[1]!.message, /"bad\/key\/x"/);
    assert.match(problems[2]!.message, /must be no more than 63 characters/);
  });

  it('requires at least one container', () => {
    const p = single(validatePod(pod({ containers: [] }), ORIGIN));
    assert.equal(p.field, 'spec.containers');
    assert.equal(p.message, 'Required value');
    assert.equal(single(validatePod(pod({ containers: undefined }), ORIGIN)).field, 'spec.containers');
  });

  it('rejects duplicate container names across init and regular containers', () => {
    const problems = validatePod(pod({ initContainers: [{ name: 'setup', image: 'i' }], containers: [{ name: 'web', image: 'i' }, { name: 'setup', image: 'i' }, { name: 'web', image: 'i' }] }), ORIGIN);
    // Upstream checks the app containers first, then the init containers against them.
    assert.deepEqual(lines(problems), ['spec.containers[2].name: Duplicate value: "web"', 'spec.initContainers[0].name: Duplicate value: "setup"']);
  });

  it('requires container names and checks they are DNS labels', () => {
    const problems = validatePod(pod({ containers: [{ image: 'i' }, { name: 'Web', image: 'i' }] }), ORIGIN);
    assert.deepEqual(problems.map((p) => p.field), ['spec.containers[0].name', 'spec.containers[1].name']);
    assert.equal(problems[0]!.message, 'Required value');
    assert.match(problems[1]!.message, /^Invalid value: "Web": a lowercase RFC 1123 label/);
  });

  it('checks ports: range, protocol, names, duplicates', () => {
    const problems = validatePod(
      pod({
        containers: [
          {
            name: 'web',
            image: 'busybox',
            ports: [
              { containerPort: 0 },
              { containerPort: 70000, hostPort: -1 },
              { containerPort: 80, protocol: 'HTTP', name: 'http' },
              { containerPort: 81, name: 'http' },
              { containerPort: 82, name: 'this-name-is-too-long' },
            ],
          },
        ],
      }),
      ORIGIN,
    );
    assert.deepEqual(lines(problems), [
      'spec.containers[0].ports[0].containerPort: Required value',
      'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[3].name: Duplicate value: "http"',
      'spec.containers[0].ports[4].name: Invalid value: "this-name-is-too-long": must be no more than 15 characters',
    ]);
  });

  it('rejects the same hostPort twice', () => {
    const p = single(validatePod(pod({ containers: [{ name: 'a', image: 'i', ports: [{ containerPort: 1, hostPort: 8080 }] }, { name: 'b', image: 'i', ports: [{ containerPort: 2, hostPort: 8080 }] }] }), ORIGIN));
    assert.equal(p.field, 'spec.containers[1].ports[0].hostPort');
    assert.equal(p.message, 'Duplicate value: "/TCP/8080"');
  });

  it('checks restartPolicy; a negative terminationGracePeriodSeconds is only a warning', () => {
    assert.deepEqual(lines(validatePod(pod({ restartPolicy: 'Sometimes', terminationGracePeriodSeconds: -1 }), ORIGIN)), [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });

  it('checks env names and resources', () => {
    const problems = validatePod(
      pod({
        containers: [
          {
            name: 'web',
            image: 'busybox',
            env: [
              { name: 'A=B', value: 'x' },
              { name: 'OK', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'P', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'GPU', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } },
              { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
            ],
            resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1', memory: 'lots' } },
          },
        ],
      }),
      ORIGIN,
    );
    assert.deepEqual(problems.map((p) => p.field), [
      'spec.containers[0].env[0].name',
      'spec.containers[0].env[1].valueFrom',
      'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath',
      'spec.containers[0].env[4].valueFrom.resourceFieldRef.resource',
      'spec.containers[0].resources.requests[memory]',
      'spec.containers[0].resources.requests[cpu]',
    ]);
    assert.match(problems[5]!.message, /must be less than or equal to cpu limit of 500m/);
  });

  it('checks volumes and volume mounts', () => {
    const problems = validatePod(
      pod({
        volumes: [{ name: 'data', hostPath: { path: '/srv' } }, { name: 'data', emptyDir: {} }, { name: 'none' }, { name: 'two', emptyDir: {}, hostPath: { path: '/x' } }],
        containers: [{ name: 'web', image: 'i', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'missing', mountPath: '/m' }, { name: 'data', mountPath: '/d' }] }],
      }),
      ORIGIN,
    );
    assert.deepEqual(lines(problems), [
      'spec.volumes[1].name: Duplicate value: "data"',
      'spec.volumes[2]: Required value: must specify a volume type',
      'spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
      'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/d": must be unique',
    ]);
  });

  it('allows hostPath, emptyDir and downwardAPI volumes', () => {
    const problems = validatePod(
      pod({
        volumes: [
          { name: 'a', hostPath: { path: '/srv', type: 'Directory' } },
          { name: 'b', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'c', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'd', projected: { sources: [{ downwardAPI: { items: [] } }] } },
        ],
      }),
      ORIGIN,
    );
    assert.deepEqual(problems, []);
  });

  describe('API-object references', () => {
    it('forbids serviceAccountName', () => {
      const p = single(validatePod(pod({ serviceAccountName: 'default' }), ORIGIN));
      assert.equal(formatProblem(p), '/m/web.yaml: spec.serviceAccountName: Forbidden: static pods may not reference a service account (fix: remove serviceAccountName; static pods run without API credentials)');
      assert.equal(single(validatePod(pod({ serviceAccount: 'builder' }), ORIGIN)).field, 'spec.serviceAccount');
    });

    it('forbids configMap, secret, PVC, CSI and ephemeral volumes', () => {
      const problems = validatePod(
        pod({
          volumes: [
            { name: 'a', configMap: { name: 'cm' } },
            { name: 'b', secret: { secretName: 's' } },
            { name: 'c', persistentVolumeClaim: { claimName: 'pvc' } },
            { name: 'd', csi: { driver: 'x' } },
            { name: 'e', ephemeral: { volumeClaimTemplate: {} } },
          ],
        }),
        ORIGIN,
      );
      assert.deepEqual(lines(problems), [
        'spec.volumes[0].configMap: Forbidden: static pods may not reference configmaps',
        'spec.volumes[1].secret: Forbidden: static pods may not reference secrets',
        'spec.volumes[2].persistentVolumeClaim: Forbidden: static pods may not reference persistentvolumeclaims',
        'spec.volumes[3].csi: Forbidden: static pods may not reference CSI volumes',
        'spec.volumes[4].ephemeral: Forbidden: static pods may not reference ephemeral volume claims',
      ]);
    });

    it('forbids projected configMap, secret and service account token sources', () => {
      const problems = validatePod(
        pod({ volumes: [{ name: 'p', projected: { sources: [{ configMap: { name: 'a' } }, { secret: { name: 'b' } }, { serviceAccountToken: { path: 't' } }] } }] }),
        ORIGIN,
      );
      assert.deepEqual(problems.map((p) => p.field), [
        'spec.volumes[0].projected.sources[0].configMap',
        'spec.volumes[0].projected.sources[1].secret',
        'spec.volumes[0].projected.sources[2].serviceAccountToken',
      ]);
    });

    it('forbids secret and configmap env references and envFrom', () => {
      const problems = validatePod(
        pod({
          containers: [
            {
              name: 'web',
              image: 'busybox',
              env: [
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
                { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } },
              ],
              envFrom: [{ secretRef: { name: 's' } }, { configMapRef: { name: 'c' } }],
            },
          ],
        }),
        ORIGIN,
      );
      assert.deepEqual(lines(problems), [
        'spec.containers[0].env[0].valueFrom.secretKeyRef: Forbidden: static pods may not reference secrets',
        'spec.containers[0].env[1].valueFrom.configMapKeyRef: Forbidden: static pods may not reference configmaps',
        'spec.containers[0].envFrom[0].secretRef: Forbidden: static pods may not reference secrets',
        'spec.containers[0].envFrom[1].configMapRef: Forbidden: static pods may not reference configmaps',
      ]);
    });
  });

  it('reports wrong types instead of throwing', () => {
    const problems = validatePod(
      { metadata: { name: 5, labels: 'x' }, spec: { containers: 'web', volumes: [3], restartPolicy: 1, terminationGracePeriodSeconds: '30' } },
      ORIGIN,
    );
    assert.deepEqual(problems.map((p) => p.field), [
      'metadata.name',
      'metadata.labels',
      'spec.volumes[0]',
      'spec.terminationGracePeriodSeconds',
      'spec.containers',
      'spec.containers',
      'spec.restartPolicy',
    ]);
  });
});
