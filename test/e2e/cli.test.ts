// The command line as a user meets it: bad flags exit 2 with a clear message, `berth validate`
// prints every problem (file, field, fix) and exits 1, a --config file works and flags win.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
    assert.match(unknown.err, /unknown flag "--pod-manifest-paht" for "berth run"; did you mean --pod-manifest-path\?/);
    // A single dash is the kubelet's (Go flag) spelling too: it is read, not ignored.
    const single = berth('run', '-pod-manifest-paht=/tmp');
    assert.match(single.err, /did you mean --pod-manifest-path\?/);
    const far = berth('run', '--frobnicate');
    assert.doesNotMatch(far.err, /did you mean/);
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

  it('validate: a missing path, an empty folder and no path at all are errors', () => {
    const missing = berth('validate', join(ws.dir, 'no-such-dir'));
    assert.equal(missing.code, 1, missing.out);
    assert.match(missing.out, /^error: .*no-such-dir: does not exist \(fix: /m);
    const emptyDir = join(ws.dir, 'empty-manifests');
    mkdirSync(emptyDir);
    writeFileSync(join(emptyDir, '.hidden.yaml'), shPod('hidden', 'true'));
    const empty = berth('validate', emptyDir);
    assert.equal(empty.code, 1, empty.out);
    assert.match(empty.out, /^error: .*empty-manifests: holds no manifest \(fix: /m);
    const none = berth('validate');
    assert.equal(none.code, 2);
    assert.match(none.err, /at least one manifest file or folder/);
  });

  it('validate --help explains what is checked and the exit codes', () => {
    const help = berth('validate', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: berth validate/);
    assert.match(help.out, /Exit codes: 0 .*, 1 .*, 2 usage error/);
    assert.match(help.out, /image/);
    assert.match(help.out, /--container-runtime-endpoint/);
  });

  it('validate reports upstream errors for the bad input, warnings do not fail', () => {
    const dir = join(ws.dir, 'validate-bad');
    mkdirSync(dir);
    const write = (name: string, content: unknown) => writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    const meta = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name } });
    write('noimage.yaml', { ...meta('noimage'), spec: { containers: [{ name: 'c', command: ['true'] }] } });
    write('spaces.yaml', { ...meta('spaces'), spec: { containers: [{ name: 'c', image: ' busybox', command: ['true'] }] } });
    write('comma.json', '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "comma"},\n "spec": {"containers": [{"name": "c", "image": "busybox",}]}}\n');
    write('noversion.yaml', 'kind: Pod\nmetadata: {name: nover}\nspec: {containers: [{name: c, image: busybox, command: ["true"]}]}\n');
    write('probes.yaml', {
      ...meta('probes'),
      spec: {
        hostname: 'Not_A_Label',
        tolerations: [{ operator: 'Equal', value: 'x' }],
        nodeSelector: { 'bad key': 'x' },
        volumes: [{ name: 'up', hostPath: { path: '/srv/../etc' } }],
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'], livenessProbe: { exec: { command: ['true'] } } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['true'],
            securityContext: { runAsUser: -1 },
            readinessProbe: { exec: { command: ['true'] }, httpGet: { port: 80 } },
            lifecycle: { preStop: {} },
          },
        ],
      },
    });
    const r = berth('validate', dir);
    assert.equal(r.code, 1, r.out);
    for (const expected of [
      'noimage.yaml: spec.containers[0].image: Required value (fix: ',
      'spaces.yaml: spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
      'comma.json: is not valid JSON: ',
      'noversion.yaml: apiVersion: Required value',
      'probes.yaml: spec.hostname: Invalid value: "Not_A_Label": a lowercase RFC 1123 label',
      'probes.yaml: spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty',
      'probes.yaml: spec.nodeSelector: Invalid value: "bad key"',
      "probes.yaml: spec.volumes[0].hostPath.path: Invalid value: \"/srv/../etc\": must not contain '..'",
      'probes.yaml: spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'probes.yaml: spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
      'probes.yaml: spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type',
      'probes.yaml: spec.containers[0].lifecycle.preStop: Required value: must specify a handler type',
    ]) {
      assert.ok(r.out.split('\n').some((l) => l.startsWith('error: ') && l.includes(expected)), `expected an error line with ${expected}\n${r.out}`);
    }

    // Valid with warnings: exit 0, warning and note lines.
    const warnDir = join(ws.dir, 'validate-warn');
    mkdirSync(warnDir);
    writeFileSync(join(warnDir, 'grace.yaml'), shPod('grace', 'sleep 1', { grace: -1 }));
    writeFileSync(join(warnDir, 'nocmd.yaml'), JSON.stringify({ ...meta('nocmd'), spec: { containers: [{ name: 'web', image: 'nginx', comand: ['nginx'] }] } }));
    const w = berth('validate', warnDir);
    assert.equal(w.code, 0, w.out);
    assert.match(w.out, /^warning: .*grace\.yaml: spec\.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1 \(fix: /m);
    assert.match(w.out, /^warning: .*nocmd\.yaml: spec\.containers\[0\]\.command: container "web" has no command: the process runtime cannot run it/m);
    assert.match(w.out, /^warning: .*nocmd\.yaml: spec\.containers\[0\]\.comand: unknown field "comand" \(Kubernetes ignores it\) \(fix: did you mean "command"\?/m);
    assert.match(w.out, /^note: the process runtime does not use `image`/m);
    assert.match(w.out, /2 valid pod\(s\), 0 problem\(s\), 3 warning\(s\)/);
    // For a container engine the missing command is fine (the image's entrypoint runs): no such warning.
    const engine = berth('validate', '--container-runtime-endpoint=unix:///run/containerd/containerd.sock', warnDir);
    assert.equal(engine.code, 0, engine.out);
    assert.doesNotMatch(engine.out, /has no command|note: the process runtime/);
    assert.match(engine.out, /unknown field "comand"/);
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

  it('says once that a missing manifest folder is awaited, and picks it up when it appears', async () => {
    const later = join(ws.dir, 'later-manifests');
    const b = await startBerth(ws, [`--pod-manifest-path=${later}`, '--file-check-frequency=200ms'], { manifests: false });
    try {
      await new Promise((r) => setTimeout(r, 1000)); // several relists
      const said = b.logs.filter((l) => String(l.msg).includes(`${later} does not exist yet; waiting for it`));
      assert.equal(said.length, 1, 'said once, not at every relist');
      mkdirSync(later);
      writeFileSync(join(later, 'late.yaml'), shPod('late', 'sleep 3600'));
      await waitFor(async () => containerState(await b.pod(`late-${NODE}`))?.state?.running, 'pod from the folder created later');
    } finally {
      await b.stop();
    }
  });

  it('a root dir it cannot write says to run as root or pass --root-dir, and exits 1', () => {
    const ro = join(ws.dir, 'ro-root');
    mkdirSync(ro, { mode: 0o555 });
    // root ignores permission bits: run as nobody, as a non-root operator would.
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BERTH, 'run', `--root-dir=${ro}/state`, `--pod-logs-dir=${ro}/logs`, '--port=0', '--serve-api=false'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--root-dir .*ro-root\/state cannot be used: permission denied: run berth as root, or give it a folder it can write with --root-dir/);
    assert.doesNotMatch(r.stderr, /api-port/);
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
      assert.match(String(line.msg), new RegExp(`${taken} is already in use.*--api-port`));
      const summary = b.logs.find((l) => l.msg === 'berth is running')!;
      assert.match(String(summary.api), /^not served: .*is already in use.*--api-port/);
      await waitFor(async () => containerState(await b.pod(`apiless-${NODE}`))?.state?.running, 'pod runs without the API');
    } finally {
      await b.stop();
      blocker.close();
    }
  });
});
