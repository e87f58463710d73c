// Issue 7 stories 8-10 on the process runtime, through the real ./bin/berth and the real kubectl:
// a container over its memory limit shows OOMKilled (137) and is restarted; securityContext is
// what /proc/<pid>/status shows; a read-only root; the termination message; a refused field.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { containerPid, containerState, NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

function pod(name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 1, ...spec, containers: [{ name: 'main', image: 'busybox', ...container }] },
  });
}

function statusField(pid: number, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
}

describe('process runtime: limits, security context and termination messages', () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let kubeconfig: string;
  const kubectl = (...args: string[]) => {
    const r = spawnSync('kubectl', args, {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') },
      timeout: 30_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const kubectlPod = (name: string): Pod | undefined => {
    const r = kubectl('get', 'pod', `${name}-${NODE}`, '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.out) as Pod) : undefined;
  };

  before(async () => {
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-limits-home-'));
    ws.write('oom.json', pod('oom', { command: ['sh', '-c', 'echo filling; a=x; while :; do a="$a$a"; done'], resources: { limits: { memory: '32Mi', cpu: '500m' } } }));
    ws.write(
      'locked.json',
      pod('locked', {
        command: ['sh', '-c', 'touch /berth-e2e-probe || echo root-is-read-only; sleep 3600'],
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seccompProfile: { type: 'RuntimeDefault' } },
      }),
    );
    ws.write('plain.json', pod('plain', { command: ['sleep', '3600'] }));
    ws.write('msg.json', pod('msg', { command: ['sh', '-c', 'echo "disk full" > /dev/termination-log; exit 4'] }, { restartPolicy: 'Never' }));
    ws.write('sysctl.json', pod('sysctl', { command: ['sleep', '3600'] }, { securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } }));
    berth = await startBerth(ws);
    kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('says at start-up which cgroup version it uses', async () => {
    const line = await berth.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('cgroups: '), 'the cgroups line');
    assert.match(String(line.msg), /^cgroups: (v1|v2 \(unified\)), container cgroups under /);
  });

  it('a container over its memory limit is OOMKilled with exit code 137 and restarted, in /pods and in kubectl', async () => {
    const status = await waitFor(async () => {
      const s = containerState(await berth.pod(`oom-${NODE}`));
      return s && (s.restartCount ?? 0) >= 1 && s.lastState?.terminated ? s : undefined;
    }, 'a restart after the OOM kill', 90_000);
    assert.equal(status.lastState!.terminated!.reason, 'OOMKilled');
    assert.equal(status.lastState!.terminated!.exitCode, 137);
    const mirror = await waitFor(() => {
      const p = kubectlPod('oom');
      const s = p?.status?.containerStatuses?.[0];
      return s?.lastState?.terminated?.reason === 'OOMKilled' ? s : undefined;
    }, 'kubectl to show OOMKilled', 30_000);
    assert.equal(mirror.lastState!.terminated!.exitCode, 137);
    const described = kubectl('describe', 'pod', `oom-${NODE}`);
    assert.match(described.out, /Reason:\s+OOMKilled/);
    assert.match(described.out, /Exit Code:\s+137/);
  });

  it('securityContext: capabilities, no_new_privs, seccomp and a read-only root, as the process shows them', async () => {
    const status = await waitFor(async () => {
      const s = containerState(await berth.pod(`locked-${NODE}`));
      return s?.state?.running ? s : undefined;
    }, 'locked to run');
    const pid = containerPid(ws.root, status.containerID!);
    assert.equal(BigInt(`0x${statusField(pid, 'CapEff')}`), 1n << 10n, 'only NET_BIND_SERVICE');
    assert.equal(BigInt(`0x${statusField(pid, 'CapBnd')}`), 1n << 10n);
    assert.equal(statusField(pid, 'NoNewPrivs'), '1');
    assert.equal(statusField(pid, 'Seccomp'), '2');
    await waitFor(() => /root-is-read-only/.test(kubectl('logs', `locked-${NODE}`).out), 'the read-only root in the log');
    // A container that asks for nothing gets the container runtimes' default set, not full root.
    const plain = await waitFor(async () => containerState(await berth.pod(`plain-${NODE}`))?.state?.running && containerState(await berth.pod(`plain-${NODE}`)), 'plain to run');
    const plainPid = containerPid(ws.root, plain.containerID!);
    assert.equal(BigInt(`0x${statusField(plainPid, 'CapEff')}`), 0xa80425fbn);
    assert.equal(statusField(plainPid, 'NoNewPrivs'), '0');
  });

  it('the termination message lands in the terminated state', async () => {
    const terminated = await waitFor(() => kubectlPod('msg')?.status?.containerStatuses?.[0]?.state?.terminated, 'msg to terminate', 30_000);
    assert.equal(terminated.exitCode, 4);
    assert.equal(terminated.message, 'disk full\n');
  });

  it('a field the process runtime cannot enforce is refused: CreateContainerConfigError naming it', async () => {
    const waiting = await waitFor(() => {
      const w = kubectlPod('sysctl')?.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 'sysctl to be refused', 30_000);
    assert.match(waiting.message ?? '', /spec\.securityContext\.sysctls cannot be enforced by the process runtime/);
    assert.match(waiting.message ?? '', /--process-runtime-accept-unenforced-security/);
    const table = kubectl('get', 'pod', `sysctl-${NODE}`);
    assert.match(table.out, /CreateContainerConfigError/);
  });
});
