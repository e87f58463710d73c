// The command line as a user meets it: bad flags exit 2 with a clear message, `berth validate`
// prints every problem (file, field, fix) and exits 1, a --config file works and flags win.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BERTH, containerState, NODE, shPod, startBerth, waitFor, workspace } from './harness.js';

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('berth CLI', () => {
  const ws = workspace();
  after(() => ws.cleanup());

  it('rejects unknown flags and bad values with exit code 2', () => {
    const unknown = berth('run', '--pod-manifest-paht=/tmp');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown flag "--pod-manifest-paht"/);
    const badDuration = berth('run', '--file-check-frequency=soon');
    assert.equal(badDuration.code, 2);
    assert.match(badDuration.err, /--file-check-frequency.*duration/);
    const badPort = berth('run', '--port=http');
    assert.equal(badPort.code, 2);
    assert.match(badPort.err, /--port/);
    const badHeader = berth('run', '--manifest-url=http://127.0.0.1:1/x', '--manifest-url-header=novalue');
    assert.equal(badHeader.code, 2);
    assert.match(badHeader.err, /manifest-url-header/);
    const badConfig = join(ws.dir, 'bad-config.yaml');
    writeFileSync(badConfig, 'kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nport: "many"\n');
    const cfg = berth('run', `--config=${badConfig}`);
    assert.equal(cfg.code, 2);
    assert.match(cfg.err, /bad-config\.yaml: port/);
    assert.equal(berth('frobnicate').code, 2);
  });

  it('validate prints every problem with file, field and fix, and exits 1', () => {
    const good = join(ws.dir, 'good.yaml');
    writeFileSync(good, shPod('fine', 'sleep 1'));
    const bad = join(ws.dir, 'bad.yaml');
    writeFileSync(
      bad,
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'a', image: 'busybox', command: ['x'] }, { name: 'a', image: 'busybox', command: ['y'] }] } }),
    );
    const ok = berth('validate', good);
    assert.equal(ok.code, 0, ok.out + ok.err);
    const r = berth('validate', good, bad);
    assert.equal(r.code, 1);
    assert.match(r.out, /bad\.yaml: metadata\.name: .*\(fix: /);
    assert.match(r.out, /bad\.yaml: spec\.containers\[1\]\.name: Duplicate value/);
  });

  it('takes a KubeletConfiguration file; flags win over it', async () => {
    const other = join(ws.dir, 'from-config');
    const cfg = join(ws.dir, 'kubelet.yaml');
    writeFileSync(
      cfg,
      `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: ${other}
fileCheckFrequency: 1s
port: 1
`,
    );
    ws.write('flagpod.yaml', shPod('flagpod', 'sleep 3600'));
    // --pod-manifest-path (from startBerth) and --port=0 win over the file's staticPodPath and port.
    const b = await startBerth(ws, [`--config=${cfg}`]);
    try {
      await waitFor(async () => containerState(await b.pod(`flagpod-${NODE}`))?.state?.running, 'flagpod running');
      assert.notEqual(b.port, 1);
    } finally {
      await b.stop();
    }
  });

  it('keeps running the pods when the API port is taken, and says how to fix it', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    ws.write('apiless.yaml', shPod('apiless', 'sleep 3600'));
    const b = await startBerth(ws, [`--api-port=${taken}`]);
    try {
      const line = b.logs.find((l) => String(l.msg).startsWith('cannot serve the Kubernetes API'));
      assert.ok(line, 'the failure is logged');
      assert.match(String(line.msg), /--api-port/);
      await waitFor(async () => containerState(await b.pod(`apiless-${NODE}`))?.state?.running, 'pod runs without the API');
    } finally {
      await b.stop();
      blocker.close();
    }
  });
});
