// Bad input never takes anything down: each bad manifest gets a clear error naming the file (and
// field), logged once; every other pod keeps running; berth does not crash.
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerPid, containerState, NODE, processAlive, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

describe('bad manifests in the folder', () => {
  let ws: Workspace;
  let berth: Berth;
  let goodPid: number;

  before(async () => {
    ws = workspace();
    ws.write('good.yaml', shPod('good', 'sleep 3600'));
    berth = await startBerth(ws, ['--file-check-frequency=500ms']);
    const c = await waitFor(async () => {
      const s = containerState(await berth.pod(`good-${NODE}`));
      return s?.state?.running ? s : undefined;
    }, 'good running');
    goodPid = containerPid(ws.root, c.containerID!);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  const problemLogged = (file: string, pattern: RegExp) =>
    berth.waitLog((l) => String(l.msg ?? '').includes(file) && pattern.test(String(l.msg)), `problem for ${file}`);

  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['invalid.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\n', /YAML|yaml/],
    ['list.yaml', '- a\n- b\n', /list|object/i],
    ['scalar.yaml', 'hello\n', /object|scalar|string/i],
    ['deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n', /kind/],
    ['noname.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }), /metadata\.name/],
    ['badname.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Web_Server' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }), /metadata\.name/],
    ['nocontainers.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'empty' }, spec: { containers: [] } }), /spec\.containers/],
    [
      'dupcontainers.yaml',
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'dup' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }, { name: 'c', image: 'busybox', command: ['true'] }] } }),
      /Duplicate/,
    ],
    ['binary.yaml', Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x02, 0x00, 0x9c]), /text|binary/i],
    [
      'sa.yaml',
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sa' }, spec: { serviceAccountName: 'admin', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }),
      /serviceAccountName/,
    ],
    [
      'cm.yaml',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'cm' },
        spec: { volumes: [{ name: 'v', configMap: { name: 'x' } }], containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
      }),
      /configMap|configmap/i,
    ],
    ['zz-dup-of-good.yaml', shPod('good', 'sleep 1'), /good\.yaml/],
    // Upstream rules that a hand-written manifest for the process runtime easily breaks.
    ['noimage.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'noimage' }, spec: { containers: [{ name: 'c', command: ['true'] }] } }), /spec\.containers\[0\]\.image: Required value/],
    ['comma.json', '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "comma"}, "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["true"]}]},}\n', /not valid JSON/],
    ['noversion.yaml', 'kind: Pod\nmetadata: {name: nover}\nspec: {containers: [{name: c, image: busybox, command: ["true"]}]}\n', /apiVersion: Required value/],
    [
      'initprobe.yaml',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'initprobe' },
        spec: { initContainers: [{ name: 'i', image: 'busybox', command: ['true'], readinessProbe: { exec: { command: ['true'] } } }], containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
      }),
      /spec\.initContainers\[0\]\.readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always/,
    ],
    [
      'pullsecret.yaml',
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pullsecret' }, spec: { imagePullSecrets: [{ name: 'reg' }], containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }),
      /spec\.imagePullSecrets\[0\]: Forbidden: static pods may not reference secrets/,
    ],
  ];

  for (const [file, content, pattern] of cases) {
    it(`reports ${file} and keeps the other pods running`, async () => {
      ws.write(file, content as string);
      await problemLogged(file, pattern);
      assert.ok(processAlive(goodPid), 'the good pod is untouched');
    });
  }

  it('reports a 20 MB file without reading it whole', async () => {
    const fd = openSync(join(ws.manifests, 'huge.yaml'), 'w');
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    for (let i = 0; i < 20; i++) writeSync(fd, chunk);
    closeSync(fd);
    await problemLogged('huge.yaml', /10 ?MB|10485760|too (big|large)|size/i);
  });

  it('reports a directory called x.yaml, a dangling symlink', async () => {
    mkdirSync(join(ws.manifests, 'x.yaml'));
    await problemLogged('x.yaml', /director/i);
    symlinkSync(join(ws.dir, 'nowhere.yaml'), join(ws.manifests, 'dangling.yaml'));
    await problemLogged('dangling.yaml', /symlink|exist/i);
  });

  it('logs each problem once, not at every relist', async () => {
    await new Promise((r) => setTimeout(r, 2000)); // four relists at 500ms
    const lines = berth.logs.filter((l) => String(l.msg ?? '').includes('deploy.yaml')).map((l) => String(l.msg));
    assert.ok(lines.length >= 1);
    assert.equal(new Set(lines).size, lines.length, `each problem logged once: ${JSON.stringify(lines)}`);
    const metrics = (await berth.get('/metrics')).body;
    const m = /berth_manifest_errors\{source="file",reason="FailedValidation"\} (\d+)/.exec(metrics);
    assert.ok(m && Number(m[1]) >= 5, metrics);
  });

  it('runs a pod with a negative grace period as 1 second and warns once per file', async () => {
    ws.write('neggrace.yaml', shPod('neggrace', 'sleep 3600', { grace: -3 }));
    await waitFor(async () => containerState(await berth.pod(`neggrace-${NODE}`))?.state?.running, 'neggrace running');
    assert.equal((await berth.pod(`neggrace-${NODE}`))?.spec?.terminationGracePeriodSeconds, 1);
    await berth.waitLog((l) => String(l.msg ?? '').includes('neggrace.yaml') && /treated as 1/.test(String(l.msg)), 'grace warning');
    await new Promise((r) => setTimeout(r, 2000)); // four relists at 500ms
    const warnings = berth.logs.filter((l) => String(l.msg ?? '').includes('neggrace.yaml') && /treated as 1/.test(String(l.msg)));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]!.level, 'warn');
  });

  it('keeps the last good pod of a file that turns invalid, and reports the error', async () => {
    writeFileSync(join(ws.manifests, 'good.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers: []\n');
    await problemLogged('good.yaml', /spec\.containers/);
    assert.ok(processAlive(goodPid), 'last good pod keeps running');
    assert.equal(containerState(await berth.pod(`good-${NODE}`))?.restartCount, 0);
  });

  it('reads a file written in slow chunks only once it is complete', async () => {
    const full = shPod('chunky', 'sleep 3600');
    const path = join(ws.manifests, 'chunky.yaml');
    const fd = openSync(path, 'w');
    const parts = [full.slice(0, 40), full.slice(40, 90), full.slice(90)];
    for (const p of parts) {
      writeSync(fd, p);
      await new Promise((r) => setTimeout(r, 400));
    }
    closeSync(fd);
    await waitFor(async () => containerState(await berth.pod(`chunky-${NODE}`))?.state?.running, 'chunky running');
    assert.ok(!berth.logs.some((l) => String(l.msg ?? '').includes('chunky.yaml') && l.level === 'warn'), 'no error for a half-written file');
  });

  it('picks up a manifest folder that is created after start', async () => {
    const late = workspace();
    const missing = join(late.dir, 'later');
    const b = await startBerth(late, [`--pod-manifest-path=${missing}`, '--file-check-frequency=300ms'], { manifests: false });
    try {
      mkdirSync(missing);
      writeFileSync(join(missing, 'late.yaml'), shPod('late', 'sleep 3600'));
      await waitFor(async () => containerState(await b.pod(`late-${NODE}`))?.state?.running, 'late pod running');
    } finally {
      await b.stop();
      await late.cleanup();
    }
  });
});

describe('bad answers from the manifest URL', () => {
  let server: Server;
  let port: number;
  let mode = 'good';

  before(async () => {
    server = createServer((_req, res) => {
      if (mode === 'good') res.end(shPod('urlpod', 'sleep 3600'));
      else if (mode === '500') res.writeHead(500).end('boom');
      else if (mode === 'html') res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>login</body></html>');
      else if (mode === 'huge') {
        res.writeHead(200);
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent++;
          if (sent >= 50) res.end();
          else res.once('drain', pump);
        };
        res.on('error', () => undefined);
        pump();
      }
      // 'hang': never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('keeps the URL pods through 500, HTML and a 50 MB body', async () => {
    const ws = workspace();
    const b = await startBerth(ws, [`--manifest-url=http://127.0.0.1:${port}/pod.yaml`, '--http-check-frequency=300ms'], { manifests: false });
    try {
      const c = await waitFor(async () => {
        const s = containerState(await b.pod(`urlpod-${NODE}`));
        return s?.state?.running ? s : undefined;
      }, 'url pod running');
      const pid = containerPid(ws.root, c.containerID!);
      const after = (mark: number, match: (l: Record<string, unknown>) => boolean) => (l: Record<string, unknown>) => b.logs.indexOf(l) >= mark && match(l);
      for (const [m, pattern] of [
        ['500', /HTTP 500/],
        ['html', /pod\.yaml: /],
        ['huge', /10 ?MB|10485760|too (big|large)|limit/i],
      ] as const) {
        let mark = b.logs.length;
        mode = m;
        const warn = await b.waitLog(after(mark, (l) => l.level === 'warn' && pattern.test(String(l.msg ?? ''))), `problem for ${m}`);
        assert.match(String(warn.msg), /\(fix: /);
        assert.ok(processAlive(pid), `url pod survives ${m}`);
        mark = b.logs.length;
        mode = 'good';
        await b.waitLog(after(mark, (l) => l.msg === 'manifest problem resolved'), `recovery after ${m}`);
        assert.ok(processAlive(pid), `url pod untouched after ${m}`);
      }
      assert.equal((await b.get('/healthz')).status, 200);
    } finally {
      await b.stop();
      await ws.cleanup();
    }
  });
});
