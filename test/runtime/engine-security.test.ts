// The security fields on the real engines (containerd over the CRI, Docker and Podman over the
// Engine API), seen from inside the container: masked /proc paths and procMount, seccomp,
// no_new_privs, a lone runAsGroup, sysctls, runAsNonRoot against the image's user, and the fields
// no engine runtime can honour refused by name. Outside CI a missing engine skips its suite; with
// CI=true it fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { RuntimeError } from '../../src/runtime/types.js';
import { BUSYBOX } from './cri-harness.js';
import { engineSuites, type EngineHarness } from './engine-suites.js';


async function inside(h: EngineHarness, script: string, container: Partial<Container> = {}, spec: Partial<Pod['spec']> = {}): Promise<string> {
  const record = await h.start({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '300'], ...container }, spec);
  const result = await h.runtime.execSync(record.id, ['sh', '-c', script], 20_000);
  assert.equal(result.exitCode, 0, `${script}: ${result.stderr}`);
  return result.stdout.toString();
}

const suites = await engineSuites('sec');

const readOnlyProcSys = 'grep -E " /proc/sys ro[, ]" /proc/self/mountinfo | wc -l';

for (const suite of suites) {
  describe(`security fields on ${suite.name}`, { skip: suite.skip }, () => {
    let h: EngineHarness;
    before(async () => {
      h = await suite.make();
    });
    after(() => h?.cleanup());

    test('by default /proc/sys is read-only and seccomp is off (the kubelet\'s defaults); procMount Unmasked lifts the masks', async () => {
      assert.equal((await inside(h, readOnlyProcSys)).trim(), '1');
      assert.match(await inside(h, 'grep Seccomp: /proc/self/status'), /Seccomp:\s+0/);
      assert.equal((await inside(h, readOnlyProcSys, { securityContext: { procMount: 'Unmasked' } })).trim(), '0');
    });

    test('seccompProfile RuntimeDefault filters; allowPrivilegeEscalation false sets no_new_privs', async () => {
      assert.match(await inside(h, 'grep Seccomp: /proc/self/status', {}, { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }), /Seccomp:\s+2/);
      assert.match(await inside(h, 'grep NoNewPrivs: /proc/self/status', { securityContext: { allowPrivilegeEscalation: false } }), /NoNewPrivs:\s+1/);
    });

    test('a runAsGroup without runAsUser applies to the image\'s user', async () => {
      assert.equal((await inside(h, 'echo $(id -u):$(id -g)', { securityContext: { runAsGroup: 4321 } })).trim(), '0:4321');
    });

    test('fsGroup: an emptyDir belongs to the group, and so do the files made in it', async () => {
      const out = await inside(
        h,
        'touch /v/made; stat -c %g /v/made; id -G',
        { securityContext: { runAsUser: 1234 }, volumeMounts: [{ name: 'v', mountPath: '/v' }] },
        { volumes: [{ name: 'v', emptyDir: {} }], securityContext: { fsGroup: 5555 } },
      );
      const [group, groups] = out.trim().split('\n');
      assert.equal(group, '5555');
      assert.ok(groups!.split(' ').includes('5555'), `fsGroup is not a supplementary group: ${groups}`);
    });

    test('dnsConfig reaches the container\'s resolv.conf', async () => {
      const resolv = await inside(h, 'cat /etc/resolv.conf', {}, {
        hostNetwork: false,
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['192.0.2.53'], searches: ['berth.example'], options: [{ name: 'ndots', value: '3' }] },
      });
      assert.match(resolv, /^nameserver 192\.0\.2\.53$/m);
      assert.match(resolv, /^search .*berth\.example/m);
      assert.match(resolv, /ndots:3/);
    });

    test('hostAliases and the pod\'s own name are in /etc/hosts', async () => {
      const hosts = await inside(h, 'cat /etc/hosts', {}, { hostNetwork: false, hostAliases: [{ ip: '192.0.2.77', hostnames: ['db.berth.example', 'db'] }] });
      assert.match(hosts, /^# Kubernetes-managed hosts file\.$/m);
      assert.match(hosts, /^192\.0\.2\.77\tdb\.berth\.example\tdb$/m);
      assert.match(hosts, /^\S+\tsec\d+/m);
      const hostNetwork = await inside(h, 'cat /etc/hosts', {}, { hostAliases: [{ ip: '192.0.2.78', hostnames: ['cache'] }] });
      assert.match(hostNetwork, /^# Kubernetes-managed hosts file \(host network\)\.$/m);
      assert.match(hostNetwork, /^192\.0\.2\.78\tcache$/m);
    });

    test('runAsNonRoot with an image that runs as root is refused', async () => {
      await assert.rejects(
        h.start({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['true'], securityContext: { runAsNonRoot: true } }),
        (err: unknown) => err instanceof RuntimeError && err.reason === 'CreateContainerConfigError' && /runAsNonRoot/.test(err.message) && /root/.test(err.message),
      );
    });

    test('fields no engine runtime of berth honours are refused naming the field and the runtime', async () => {
      const cases: Array<[Partial<Container>, Partial<Pod['spec']>, RegExp]> = [
        [{ resources: { limits: { 'hugepages-2Mi': '2Mi', memory: '10Mi' } } }, {}, /resources\.limits\[hugepages-2Mi\]/],
        [{ resources: { limits: { 'ephemeral-storage': '1Gi' } } }, {}, /resources\.limits\[ephemeral-storage\].*eviction/],
        [{}, { hostUsers: false }, /spec\.hostUsers/],
        [{}, { runtimeClassName: 'gvisor' }, /spec\.runtimeClassName/],
      ];
      for (const [container, spec, pattern] of cases) {
        await assert.rejects(h.start({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['true'], ...container }, spec), (err: unknown) => {
          assert.ok(err instanceof RuntimeError, String(err));
          assert.equal(err.reason, 'CreateContainerConfigError');
          assert.match(err.message, pattern);
          assert.match(err.message, new RegExp(`the ${suite.name} runtime of berth cannot honour it`));
          return true;
        });
      }
    });

    test('sysctls: set inside a pod with its own network; a network sysctl on a hostNetwork pod is refused', async () => {
      const sysctls = [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '99' }];
      assert.equal((await inside(h, 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start', {}, { hostNetwork: false, securityContext: { sysctls } })).trim(), '99');
      await assert.rejects(
        h.start({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['true'] }, { securityContext: { sysctls } }),
        (err: unknown) => err instanceof RuntimeError && err.reason === 'CreateContainerConfigError' && /hostNetwork/.test(err.message),
      );
    });
  });
}
