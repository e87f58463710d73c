// securityContext on the process runtime, checked on real containers under the real shim: what
// /proc/<pid>/status shows (capabilities, no_new_privs, seccomp), a read-only root, masked /proc,
// the termination message, and the clear refusal of what cannot be enforced.
import { test, type TestContext } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../../src/runtime/types.js';
import { harness, logText, sh, statusField, waitFor } from './process-helpers.js';

const isRoot = process.getuid?.() === 0;
const DEFAULT_CAPS = 0xa80425fbn; // containerd/Docker default set: chown ... audit_write

/** Runs `script` in a container, waits for it to exit 0 and returns its output. */
async function output(t: TestContext, script: string, extra: Partial<Container> = {}, pod: Partial<Pod> = {}) {
  const h = await harness(t);
  const { record, logPath } = await h.start(sh(script, extra), pod);
  const exit = await h.exitOf(record.id);
  const text = await logText(logPath);
  assert.equal(exit.exitCode, 0, `container failed (${exit.exitCode}): ${text}`);
  return text;
}

test('a root container gets the container runtimes\' default capabilities, not full root', { skip: !isRoot && 'needs root' }, async (t) => {
  const status = await output(t, 'cat /proc/self/status');
  assert.equal(BigInt(`0x${statusField(status, 'CapEff')}`), DEFAULT_CAPS);
  assert.equal(BigInt(`0x${statusField(status, 'CapBnd')}`), DEFAULT_CAPS);
  assert.equal(BigInt(`0x${statusField(status, 'CapInh')}`), 0n);
  assert.equal(statusField(status, 'NoNewPrivs'), '0');
});

test('capabilities drop ALL + add NET_BIND_SERVICE, allowPrivilegeEscalation false, RuntimeDefault seccomp', { skip: !isRoot && 'needs root' }, async (t) => {
  const status = await output(t, 'cat /proc/self/status', {
    securityContext: {
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      allowPrivilegeEscalation: false,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  });
  assert.equal(BigInt(`0x${statusField(status, 'CapEff')}`), 1n << 10n);
  assert.equal(BigInt(`0x${statusField(status, 'CapBnd')}`), 1n << 10n);
  assert.equal(statusField(status, 'NoNewPrivs'), '1');
  assert.equal(statusField(status, 'Seccomp'), '2');
});

test('the RuntimeDefault filter refuses unshare and mount; a privileged container is not filtered', { skip: !isRoot && 'needs root' }, async (t) => {
  const text = await output(t, 'unshare -m true && echo unshare-ok || echo unshare-refused; cat /proc/self/status | grep ^Seccomp:', {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['SYS_ADMIN'] } },
  }, { spec: { containers: [] } });
  // SYS_ADMIN re-allows unshare, as in the container runtimes' profile.
  assert.match(text, /unshare-ok/);
  const refused = await output(t, 'unshare -m true 2>/dev/null && echo unshare-ok || echo unshare-refused', {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
  });
  assert.match(refused, /unshare-refused/);
  const privileged = await output(t, 'grep -E "^(Seccomp|CapBnd):" /proc/self/status', {
    securityContext: { privileged: true, seccompProfile: { type: 'RuntimeDefault' } },
  });
  assert.match(privileged, /Seccomp:\s+0/);
  assert.doesNotMatch(privileged, new RegExp(`CapBnd:\\s+0*${DEFAULT_CAPS.toString(16)}\\b`));
});

test('a non-root user ends with no effective capabilities (as under containerd) and its supplementalGroups and fsGroup', { skip: !isRoot && 'needs root' }, async (t) => {
  const status = await output(t, 'cat /proc/self/status', { securityContext: { runAsUser: 65534, runAsGroup: 65534 } }, {
    spec: { containers: [], securityContext: { supplementalGroups: [4242], fsGroup: 4343 } },
  });
  assert.equal(BigInt(`0x${statusField(status, 'CapEff')}`), 0n);
  assert.match(statusField(status, 'Uid') ?? '', /^65534\s/);
  const groups = (statusField(status, 'Groups') ?? '').split(/\s+/);
  assert.ok(groups.includes('4242') && groups.includes('4343'), `groups: ${groups.join(',')}`);
});

test('readOnlyRootFilesystem: the root and /tmp refuse writes, the hostPath volume at its own path stays writable, the host is untouched', { skip: !isRoot && 'needs root' }, async (t) => {
  const h = await harness(t);
  const volume = join(h.dir, 'data');
  await import('node:fs/promises').then((fs) => fs.mkdir(volume));
  const script = `touch /berth-ro-probe 2>/dev/null && echo root-writable || echo root-readonly; ` +
    `touch ${h.dir}/probe 2>/dev/null && echo state-writable || echo state-readonly; ` +
    `echo hello > ${volume}/out && echo volume-writable`;
  const { record, logPath } = await h.start(
    sh(script, { volumeMounts: [{ name: 'data', mountPath: volume }], securityContext: { readOnlyRootFilesystem: true } }),
    { spec: { containers: [], volumes: [{ name: 'data', hostPath: { path: volume } }] } },
  );
  const exit = await h.exitOf(record.id);
  const text = await logText(logPath);
  assert.equal(exit.exitCode, 0, text);
  assert.match(text, /root-readonly/);
  assert.match(text, /state-readonly/);
  assert.match(text, /volume-writable/);
  assert.equal(await readFile(join(volume, 'out'), 'utf8'), 'hello\n');
  // The read-only view was the container's alone: the host still writes where it could not.
  await import('node:fs/promises').then((fs) => fs.writeFile(join(h.dir, 'probe'), 'x'));
});

test('procMount Default masks /proc/timer_list and /sys/firmware and makes /proc/sys read-only; Unmasked does not', { skip: !isRoot && 'needs root' }, async (t) => {
  const probe = 'echo timer_list=$(wc -c < /proc/timer_list) firmware=$(ls /sys/firmware | wc -l); ' +
    'echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable || echo sys-readonly';
  const masked = await output(t, probe);
  assert.match(masked, /timer_list=0 firmware=0/);
  assert.match(masked, /sys-readonly/);
  const unmasked = await output(t, probe, { securityContext: { procMount: 'Unmasked' } });
  assert.match(unmasked, /timer_list=[1-9]\d* firmware=[1-9]/);
});

test('fields a host process cannot have are refused naming the field; the flag accepts the gap', async (t) => {
  const h = await harness(t);
  const cases: Array<[Parameters<typeof h.start>[1], RegExp]> = [
    [{ spec: { containers: [], securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } } }, /spec\.securityContext\.sysctls cannot be enforced by the process runtime/],
    [{ spec: { containers: [], securityContext: { seLinuxOptions: { level: 's0:c1' } } } }, /spec\.securityContext\.seLinuxOptions/],
    [{ spec: { containers: [], securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } } }, /seccompProfile.*Localhost/],
    [{ spec: { containers: [], hostUsers: false } }, /spec\.hostUsers/],
    [{ metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'localhost/p' } } }, /apparmor/],
  ];
  for (const [pod, pattern] of cases) {
    await assert.rejects(h.start(sh('true'), pod), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'CreateContainerConfigError');
      assert.match(err.message, pattern);
      assert.match(err.message, /--process-runtime-accept-unenforced-security/);
      return true;
    });
  }
  await assert.rejects(h.start(sh('true', { securityContext: { capabilities: { add: ['NET_WIZARD'] } } })), /capabilities\.add\[0\]: unknown capability "NET_WIZARD"/);
  // What no runtime of berth honours is refused here as on the engines (not silently ignored).
  await assert.rejects(
    h.start(sh('true', { resources: { limits: { 'hugepages-2Mi': '2Mi', memory: '64Mi' } } })),
    (err: unknown) => err instanceof RuntimeError && err.reason === 'CreateContainerConfigError' && /resources\.limits\[hugepages-2Mi\].*the process runtime of berth cannot honour it/.test(err.message),
  );

  const accepting = await harness(t, { acceptUnenforcedSecurity: true });
  const { record } = await accepting.start(sh('true'), { spec: { containers: [], securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } } });
  assert.equal((await accepting.exitOf(record.id)).exitCode, 0);
});

test('termination message: the file at terminationMessagePath, and the log tail under FallbackToLogsOnError', { skip: !isRoot && 'needs root' }, async (t) => {
  const h = await harness(t);
  const a = await h.start(sh('echo "the end is near" > /dev/termination-log; exit 3'));
  const exitA = await h.exitOf(a.record.id);
  assert.equal(exitA.exitCode, 3);
  assert.equal(exitA.message, 'the end is near\n');
  // Each container has its own file: the host's path stays empty.
  assert.equal(await readFile('/dev/termination-log', 'utf8'), '');

  const custom = await h.start(sh('printf done > /tmp/berth-msg-$$; exit 0', { terminationMessagePath: '/tmp/berth-custom-message' }));
  assert.equal((await h.exitOf(custom.record.id)).message, undefined, 'nothing written at the custom path: no message');
  const b = await h.start(sh('echo line1; echo oops >&2; exit 1', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
  const exitB = await h.exitOf(b.record.id);
  assert.equal(exitB.message, 'line1\noops\n');
  const c = await h.start(sh('echo fine; exit 0', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
  assert.equal((await h.exitOf(c.record.id)).message, undefined, 'no fallback for a successful exit');
  const big = await h.start(sh('head -c 10000 /dev/zero | tr "\\\\0" x > /dev/termination-log; exit 1'));
  assert.equal((await h.exitOf(big.record.id)).message?.length, 4096);
  // The message stays the same on every later look (recorded once).
  const [again] = (await h.runtime.listContainers()).filter((r) => r.id === a.record.id);
  assert.equal(again?.message, 'the end is near\n');
});

test('execSync runs inside the container: same capabilities, no_new_privs, seccomp and read-only root', { skip: !isRoot && 'needs root' }, async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('sleep 60', {
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
  }));
  const result = await h.runtime.execSync(record.id, ['sh', '-c', 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; touch /berth-exec-probe 2>/dev/null || echo readonly; cat /proc/self/cgroup'], 10_000);
  const out = result.stdout.toString();
  assert.equal(result.exitCode, 0, result.stderr.toString());
  assert.match(out, /CapEff:\s+0+\n/);
  assert.match(out, /NoNewPrivs:\s+1/);
  assert.match(out, /Seccomp:\s+2/);
  assert.match(out, /readonly/);
  if (record.id && (await h.runtime.containerUsage(record.id))) {
    // The container has a cgroup: the exec'd command is counted in it too.
    assert.match(out, new RegExp(`/berth/[^/]+/${record.id}$`, 'm'));
  }
  await waitFor('the container to run', async () => (await h.runtime.listContainers()).some((r) => r.id === record.id && r.state === 'running'));
});
