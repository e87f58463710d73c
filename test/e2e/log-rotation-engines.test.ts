// Container log rotation on containerd (the agent renames the file and calls the CRI's
// ReopenContainerLog, as the kubelet does), Docker and Podman (the agent's log copier rotates its
// own file): `kubectl logs -f` follows across the rotations losing no line, and no more than
// max-files files are kept.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ENGINES, engineSkipReason, openEngine, type Engine, type EngineSpec } from './engines.js';
import { kubectlFor } from './kubectl-run.js';
import { containerState, NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const LINES = 12_000;

/** A file's size, or '?' when it went away (a rotation removed it) meanwhile. */
function sizeOf(path: string): number | string {
  try {
    return statSync(path).size;
  } catch {
    return '?';
  }
}

function rotationStory(spec: EngineSpec, skip: string | false): void {
  describe(`container log rotation on ${spec.kind}`, { skip }, () => {
    let ws: Workspace;
    let berth: Berth | undefined;
    let engine: Engine;
    before(async () => {
      ws = workspace();
      engine = openEngine(spec);
      await engine.purge([`chatty-${NODE}`]);
    });
    after(async () => {
      await berth?.stop();
      await engine.purge([`chatty-${NODE}`]).catch((err: unknown) => console.error(`cleanup of ${spec.kind} failed: ${String(err)}`));
      engine.close();
      await ws.cleanup();
    });

    it('kubectl logs -f follows across rotations losing no line; at most max-files files are kept', async () => {
      const config = join(ws.dir, 'config.yaml');
      writeFileSync(config, 'kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\ncontainerLogMaxSize: 64Ki\ncontainerLogMaxFiles: 3\ncontainerLogMonitorInterval: 3s\n');
      berth = await startBerth(ws, [`--container-runtime-endpoint=${spec.endpoint}`, `--config=${config}`]);
      // About 600 KB at ~1000 lines a second: a rotation every few seconds on every engine.
      const script = `sleep 3; i=0; while [ $i -lt ${LINES} ]; do echo "seq $i"; i=$((i+1)); [ $((i % 100)) -eq 0 ] && sleep 0.1; done; echo done; sleep 3600`;
      ws.write(
        'chatty.json',
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'chatty' },
          spec: { hostNetwork: true, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }] },
        }),
      );
      await waitFor(async () => containerState(await berth!.pod(`chatty-${NODE}`))?.state?.running, 'chatty runs', 90_000);
      // As a user does it: `kubectl logs -f` once `kubectl get pods` shows the pod (the mirror pod
      // reaches the API a moment after the node runs it; before, kubectl logs fails with NotFound).
      const kubectl = kubectlFor(join(ws.root, 'kubeconfig'));
      await kubectl.rowIs(`chatty-${NODE}`, undefined, 'Running', 60_000).finally(() => kubectl.cleanup());
      const follower = spawn('kubectl', ['--kubeconfig', join(ws.root, 'kubeconfig'), 'logs', '-f', `chatty-${NODE}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      follower.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      follower.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      let exited = 'running';
      follower.once('exit', (code) => (exited = `exited ${code}`));
      let maxFiles = 0;
      let rotatedSeen = false;
      const podDir = () => readdirSync(ws.logs).find((d) => d.startsWith(`default_chatty-${NODE}_`));
      try {
        await waitFor(() => {
          const dir = podDir();
          const files = dir && existsSync(join(ws.logs, dir, 'main')) ? readdirSync(join(ws.logs, dir, 'main')) : [];
          // A compression in progress (the .tmp, then for a moment the plain file beside its .gz) is one file.
          const distinct = files.filter((f) => !f.endsWith('.tmp') && !files.includes(`${f}.gz`));
          maxFiles = Math.max(maxFiles, distinct.length);
          rotatedSeen ||= files.some((f) => /^0\.log\.\d{8}-\d{6}/.test(f));
          return out.includes('done\n') || undefined;
        }, () => `kubectl logs -f reaches the end (kubectl ${exited}; stderr: ${err}; got ${out.length} bytes, ending ${JSON.stringify(out.slice(-80))}; rotated: ${rotatedSeen}; files at most: ${maxFiles})`, 120_000);
      } catch (err) {
        // Which side stalled: the copy into the file, or the follow out of it.
        const dir = podDir();
        const files = dir && existsSync(join(ws.logs, dir, 'main')) ? readdirSync(join(ws.logs, dir, 'main')).map((f) => `${f} (${sizeOf(join(ws.logs, dir, 'main', f))} B)`) : [];
        const live = dir && existsSync(join(ws.logs, dir, 'main', '0.log')) ? readFileSync(join(ws.logs, dir, 'main', '0.log'), 'utf8') : '';
        const agent = (berth?.logs ?? []).filter((l) => l.level !== 'debug' || /log/.test(String(l.msg))).slice(-20);
        throw new Error(`${(err as Error).message}\nlog files: ${files.join(', ')}\nlive file ends: ${JSON.stringify(live.slice(-120))}\nagent: ${agent.map((l) => JSON.stringify(l)).join('\n')}`);
      } finally {
        follower.kill();
      }
      const seq = [...out.matchAll(/^seq (\d+)$/gm)].map((m) => Number(m[1]));
      assert.equal(seq.length, LINES, `lines lost or doubled; first out of order: ${seq.find((v, i) => v !== i)}`);
      seq.forEach((v, i) => assert.equal(v, i));
      assert.ok(rotatedSeen, 'the log was rotated');
      assert.ok(maxFiles <= 3, `${maxFiles} files were kept`);
    });
  });
}

for (const spec of [ENGINES.containerd, ENGINES.docker, ENGINES.podman]) rotationStory(spec, await engineSkipReason(spec));
