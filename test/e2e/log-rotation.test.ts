// Container log rotation and full log disks with the process runtime, through the real agent and
// the real kubectl: `kubectl logs -f` follows a container across many rotations without losing a
// line, the disk holds at most max-files * max-size, and a full log disk drops (and counts)
// output while the container keeps running, said once, until space returns.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kubectlFor } from './kubectl-run.js';
import { containerState, NODE, processAlive, shPod, startBerth, waitFor, workspace, type Berth } from './harness.js';

const asRoot = process.getuid?.() === 0;

function logFilesOf(logsDir: string, pod: string): string[] {
  const podDir = readdirSync(logsDir).find((d) => d.startsWith(`default_${pod}-${NODE}_`));
  if (!podDir) return [];
  const dir = join(logsDir, podDir, 'main');
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
}

describe('container log rotation (process runtime)', () => {
  const ws = workspace();
  let berth: Berth | undefined;
  after(async () => {
    await berth?.stop();
    await ws.cleanup();
  });

  it('kubectl logs -f follows across rotations losing no line; the disk stays within max-files * max-size', async () => {
    berth = await startBerth(ws, ['--container-log-max-size=128Ki', '--container-log-max-files=4']);
    const go = join(ws.dir, 'go');
    // Waits for the follower, then prints 30 000 numbered lines (about 1.5 MB of log: ~12
    // rotations), at most ~2500 a second: a follower that falls further behind than the files kept
    // (here 4 * 128Ki, a few seconds) loses lines by design, as the disk bound says.
    ws.write('chatty.yaml', shPod('chatty', `while [ ! -f ${go} ]; do sleep 0.1; done; i=0; while [ $i -lt 30000 ]; do echo "seq $i"; i=$((i+1)); [ $((i % 250)) -eq 0 ] && sleep 0.1; done; echo done; sleep 3600`));
    await waitFor(async () => containerState(await berth!.pod(`chatty-${NODE}`))?.state?.running, 'chatty runs', 60_000);
    // As a user does it: `kubectl logs -f` once `kubectl get pods` shows the pod (the mirror pod
    // reaches the API a moment after the node runs it; before, kubectl logs fails with NotFound).
    const kubectl = kubectlFor(join(ws.root, 'kubeconfig'));
    await kubectl.rowIs(`chatty-${NODE}`, undefined, 'Running', 60_000).finally(() => kubectl.cleanup());
    const kubeconfig = join(ws.root, 'kubeconfig');
    const follower = spawn('kubectl', ['--kubeconfig', kubeconfig, 'logs', '-f', `chatty-${NODE}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    follower.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    try {
      // The follower is connected once the request reached the node; give it a moment, then go.
      await new Promise((r) => setTimeout(r, 2000));
      writeFileSync(go, '');
      let maxBytes = 0;
      await waitFor(() => {
        const bytes = logFilesOf(ws.logs, 'chatty').reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
        maxBytes = Math.max(maxBytes, bytes);
        return out.includes('done\n') || undefined;
      }, `kubectl logs -f reaches the end (stderr: ${err})`, 120_000);
      const seq = [...out.matchAll(/^seq (\d+)$/gm)].map((m) => Number(m[1]));
      const missing = seq.length === 30000 ? [] : Array.from({ length: 30000 }, (_, i) => i).filter((i) => !seq.includes(i)).slice(0, 10);
      assert.equal(seq.length, 30000, `lines missing, e.g. ${missing.join(', ')}`);
      seq.forEach((v, i) => assert.equal(v, i));
      assert.ok(maxBytes <= 4 * 128 * 1024, `the log files held ${maxBytes} bytes, more than 4 * 128Ki`);
    } finally {
      follower.kill();
    }
    const files = logFilesOf(ws.logs, 'chatty').map((f) => f.split('/').pop()!);
    assert.ok(files.length <= 4, files.join(' '));
    assert.ok(files.some((f) => /^0\.log\.\d{8}-\d{6}(-\d{3})?$/.test(f)), `a rotated file: ${files.join(' ')}`);
    // --tail reaches back into the rotated file when the live one holds fewer lines.
    const liveLines = readFileSync(logFilesOf(ws.logs, 'chatty').find((f) => f.endsWith('/0.log'))!, 'utf8').split('\n').length - 1;
    const tail = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'logs', `--tail=${liveLines + 100}`, `chatty-${NODE}`], { encoding: 'utf8' });
    const tailSeq = [...tail.matchAll(/^seq (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(tailSeq.length, liveLines + 99, 'the tail reached 100 lines back into the rotated file');
    assert.equal(tailSeq.at(-1), 29999);
  });
});

describe('a full log disk (process runtime)', { skip: asRoot ? false : 'needs root to mount a tmpfs' }, () => {
  const ws = workspace();
  let berth: Berth | undefined;
  let mounted = false;
  after(async () => {
    await berth?.stop();
    await ws.cleanup().catch(() => undefined);
    if (mounted) execFileSync('umount', ['-l', ws.logs]);
    rmSync(ws.dir, { recursive: true, force: true });
  });

  it('drops and counts output while the container keeps running, says so once, and recovers when space returns', async () => {
    mkdirSync(ws.logs, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', ws.logs]);
    mounted = true;
    writeFileSync(join(ws.dir, 'config.yaml'), 'kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\ncontainerLogMonitorInterval: 3s\n');
    berth = await startBerth(ws, [`--config=${join(ws.dir, 'config.yaml')}`, '--container-log-max-size=10Mi']);
    ws.write('filler.yaml', shPod('filler', 'i=0; while true; do echo "filler line $i with some padding to fill the disk quickly"; i=$((i+1)); done'));
    await waitFor(async () => containerState(await berth!.pod(`filler-${NODE}`))?.state?.running, 'filler runs', 60_000);
    const dropping = await berth.waitLog((l) => String(l.msg).startsWith('container output is being dropped'), 'the agent says output is dropped', 60_000);
    assert.equal(dropping.container, 'main');
    const pod = await berth.pod(`filler-${NODE}`);
    assert.equal(containerState(pod)?.restartCount, 0);
    assert.ok(containerState(pod)?.state?.running, 'the container keeps running');
    // Said once, not per line or per pass.
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal(berth.logs.filter((l) => String(l.msg).startsWith('container output is being dropped')).length, 1);
    const metrics = (await berth.get('/metrics')).body;
    const dropped = Number(/^berth_container_log_dropped_lines_total (\d+)/m.exec(metrics)?.[1]);
    assert.ok(dropped > 0, metrics);
    // Space returns (the filler's own file is emptied): the shim writes again by itself.
    const live = logFilesOf(ws.logs, 'filler').find((f) => f.endsWith('0.log'))!;
    writeFileSync(live, '');
    await berth.waitLog((l) => l.msg === 'container output is written to its log again', 'recovery is said', 60_000).catch(async () => {
      // A very fast filler may fill the disk again before a pass sees it writing: then free more.
      execFileSync('mount', ['-o', 'remount,size=64m', ws.logs]);
      return berth!.waitLog((l) => l.msg === 'container output is written to its log again', 'recovery is said', 60_000);
    });
    assert.ok(statSync(live).size > 0);
    const pid = JSON.parse(execFileSync('sh', ['-c', `cat ${ws.root}/containers/*/pid`], { encoding: 'utf8' }).split('\n')[0]!).pid as number;
    assert.ok(processAlive(pid));
  });
});
