// Log windows through the embedded API on every container engine: containerd (CRI), Docker and
// Podman (Engine API). berth reads the same CRI-format files for each, so `kubectl logs` with
// --tail / --since / --limit-bytes / --timestamps must give the same answers as on the process
// runtime, for a running and an exited container. Run under `flock /tmp/berth-engines.lock`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ENGINES, engineSkipReason, openEngine, type Engine, type EngineSpec } from './engines.js';
import { NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /;

function pod(name: string, script: string, restartPolicy?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'main', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sh', '-c', script] }] },
  });
}

function logWindows(spec: EngineSpec, skip: string | false): void {
  describe(`log windows on ${spec.kind}`, { skip }, () => {
    let ws: Workspace;
    let berth: Berth | undefined;
    let engine: Engine | undefined;
    let home: string;
    let kubeconfig = '';
    const ticker = `apilog-ticker-${NODE}`;
    const finished = `apilog-finished-${NODE}`;
    const kubectl = (...args: string[]) => {
      const r = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home }, timeout: 30_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };

    before(async () => {
      ws = workspace();
      home = mkdtempSync(join(tmpdir(), 'berth-apilog-home-'));
      engine = openEngine(spec);
      await engine.purge([ticker, finished]);
      ws.write('ticker.yaml', pod('apilog-ticker', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done'));
      ws.write('finished.yaml', pod('apilog-finished', 'echo one; echo two; echo three', 'Never'));
      berth = await startBerth(ws, [`--container-runtime-endpoint=${spec.endpoint}`]);
      kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
      await waitFor(() => kubectl('logs', ticker).out.includes('tick 20') || undefined, `the ticker logged for 4 s on ${spec.kind}`, 90_000);
    });

    after(async () => {
      await berth?.stop('SIGTERM');
      await engine?.purge([ticker, finished]);
      engine?.close();
      await ws?.cleanup();
      rmSync(home, { recursive: true, force: true });
    });

    it('running: --tail with --timestamps, --since, --limit-bytes', () => {
      const tail = kubectl('logs', ticker, '--tail=2', '--timestamps').out.trim().split('\n');
      assert.equal(tail.length, 2, tail.join('\n'));
      for (const l of tail) assert.match(l, new RegExp(RFC3339.source + 'tick \\d+$'));
      const recent = kubectl('logs', ticker, '--since=2s').out;
      assert.ok(recent.length > 0);
      assert.doesNotMatch(recent, /^tick 0$/m);
      assert.equal(kubectl('logs', ticker, '--limit-bytes=10').out, 'tick 0\ntic');
    });

    it('exited: the whole log, --tail, --limit-bytes, -f ends', async () => {
      await waitFor(() => kubectl('get', 'pod', finished).out.includes('Completed') || undefined, 'finished pod completed', 60_000);
      await waitFor(() => kubectl('logs', finished).out === 'one\ntwo\nthree\n' || undefined, 'the whole log of the exited container');
      assert.equal(kubectl('logs', finished, '--tail=1').out, 'three\n');
      assert.equal(kubectl('logs', finished, '--limit-bytes=5').out, 'one\nt');
      assert.equal(kubectl('logs', finished, '-f').out, 'one\ntwo\nthree\n');
    });
  });
}

for (const spec of [ENGINES.containerd, ENGINES.docker, ENGINES.podman]) logWindows(spec, await engineSkipReason(spec));
