import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { containerEnvironment, expandVariables } from '../../src/runtime/env.js';
import { RuntimeError } from '../../src/runtime/types.js';

const sandbox = { podIP: '10.1.2.3', hostIP: '10.1.2.4' };

function pod(container: Container): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-node1',
      namespace: 'kube-system',
      uid: 'uid-123',
      labels: { app: 'web', 'k8s.io/tier': 'front' },
      annotations: { note: 'hello' },
    },
    spec: { nodeName: 'node1', serviceAccountName: 'sa1', containers: [container] },
  };
}

function envOf(container: Container) {
  return containerEnvironment(pod(container), container, sandbox);
}

test('expandVariables follows the upstream expansion rules', () => {
  const vars: Record<string, string> = { A: 'x', EMPTY: '' };
  const lookup = (n: string) => vars[n];
  assert.equal(expandVariables('$(A)-$(A)', lookup), 'x-x');
  assert.equal(expandVariables('$(EMPTY)|', lookup), '|');
  assert.equal(expandVariables('$(NOPE)', lookup), '$(NOPE)');
  assert.equal(expandVariables('$$(A)', lookup), '$(A)');
  assert.equal(expandVariables('$$$(A)', lookup), '$x');
  assert.equal(expandVariables('a$$b', lookup), 'a$b');
  assert.equal(expandVariables('$A ${A} $', lookup), '$A ${A} $');
  assert.equal(expandVariables('$(A', lookup), '$(A');
  assert.equal(expandVariables('no vars', lookup), 'no vars');
});

test('env values expand only earlier variables, in order, and duplicates override', () => {
  const { env } = envOf({
    name: 'c',
    env: [
      { name: 'SELF', value: '<$(SELF)>' },
      { name: 'A', value: 'a' },
      { name: 'B', value: '$(A)-$(C)' }, // C is defined later: stays as written
      { name: 'C', value: 'c' },
      { name: 'ESC', value: '$$(A)' },
      { name: 'A', value: '$(A)$(A)' }, // sees the earlier A
      { name: 'NOVALUE' },
    ],
  });
  assert.deepEqual(env, { SELF: '<$(SELF)>', A: 'aa', B: 'a-$(C)', C: 'c', ESC: '$(A)', NOVALUE: '' });
});

test('fieldRef values come from the pod and the sandbox', () => {
  const ref = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const { env } = envOf({
    name: 'c',
    env: [
      ref('NAME', 'metadata.name'),
      ref('NS', 'metadata.namespace'),
      ref('UID', 'metadata.uid'),
      ref('NODE', 'spec.nodeName'),
      ref('POD_IP', 'status.podIP'),
      ref('HOST_IP', 'status.hostIP'),
      ref('SA', 'spec.serviceAccountName'),
      ref('APP', "metadata.labels['app']"),
      ref('TIER', "metadata.labels['k8s.io/tier']"),
      ref('MISSING', "metadata.labels['nope']"),
      ref('NOTE', "metadata.annotations['note']"),
      { name: 'URL', value: 'http://$(POD_IP):80/$(NAME)' },
    ],
  });
  assert.deepEqual(env, {
    NAME: 'web-node1',
    NS: 'kube-system',
    UID: 'uid-123',
    NODE: 'node1',
    POD_IP: '10.1.2.3',
    HOST_IP: '10.1.2.4',
    SA: 'sa1',
    APP: 'web',
    TIER: 'front',
    MISSING: '',
    NOTE: 'hello',
    URL: 'http://10.1.2.3:80/web-node1',
  });
});

test('resourceFieldRef gives limits and requests with the divisor', () => {
  const { env } = envOf({
    name: 'c',
    resources: { limits: { memory: '64Mi', cpu: '1500m' }, requests: { cpu: '250m' } },
    env: [
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'REQ_MILLI', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
    ],
  });
  assert.deepEqual(env, { MEM_MI: '64', CPU: '2', REQ_MILLI: '250' });
});

test('command and args are expanded with the final environment', () => {
  const result = envOf({
    name: 'c',
    command: ['/bin/$(SHELL_NAME)', '-c'],
    args: ['echo $(GREETING) $$(GREETING) $(UNSET)'],
    env: [
      { name: 'SHELL_NAME', value: 'sh' },
      { name: 'GREETING', value: 'hi' },
    ],
  });
  assert.deepEqual(result.command, ['/bin/sh', '-c']);
  assert.deepEqual(result.args, ['echo hi $(GREETING) $(UNSET)']);
  assert.deepEqual(envOf({ name: 'c' }), { env: {}, command: [], args: [] });
});

test('unsupported sources are CreateContainerConfigError naming the field', () => {
  const cases: Array<[Container, RegExp]> = [
    [{ name: 'c', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] }, /env\[0\] \(X\)\.valueFrom\.fieldRef\.fieldPath: unsupported value "spec\.bogus"/],
    [{ name: 'c', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, /secretKeyRef: a static pod cannot reference/],
    [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] }, /envFrom/],
    [{ name: 'c', env: [{ name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }, /resource: unsupported value "limits\.gpu"/],
  ];
  for (const [container, message] of cases) {
    assert.throws(
      () => envOf(container),
      (err: unknown) => err instanceof RuntimeError && err.reason === 'CreateContainerConfigError' && message.test(err.message),
    );
  }
});
