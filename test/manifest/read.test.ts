import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_MANIFEST_BYTES, readPodManifestFile, type DecodeResult, type StaticIdentity } from '../../src/manifest/index.js';

const GOOD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: busybox, command: [sleep, "60"]}]}\n';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let dir = '';
const identity = (path: string): StaticIdentity => ({ nodeName: 'node1', source: 'file', origin: path, seen: new Date(0) });
const read = (path: string): Promise<DecodeResult> => readPodManifestFile(path, identity(path));

function readAsNobody(path: string): DecodeResult {
  const module = new URL('../../src/manifest/index.ts', import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(module)}); const r = await m.readPodManifestFile(${JSON.stringify(path)}, { nodeName: 'node1', source: 'file', origin: ${JSON.stringify(path)}, seen: new Date(0) }); process.stdout.write(JSON.stringify(r));`;
  const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as DecodeResult;
}

function onlyProblem(result: DecodeResult, path: string): string {
  assert.deepEqual(result.pods, []);
  assert.equal(result.problems.length, 1, JSON.stringify(result.problems));
  const p = result.problems[0]!;
  assert.equal(p.origin, path);
  assert.equal(p.field, '');
  assert.equal(p.reason, 'FailedToParse');
  assert.ok(p.fix.length > 10);
  return p.message;
}

describe('readPodManifestFile', () => {
  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'berth-manifest-'));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads and decodes a good file, through a symlink too', async () => {
    const path = join(dir, 'web.yaml');
    await fs.writeFile(path, GOOD);
    const r = await read(path);
    assert.deepEqual(r.problems, []);
    assert.equal(r.pods[0]?.metadata?.name, 'web-node1');
    const link = join(dir, 'link.yaml');
    await fs.symlink(path, link);
    const viaLink = await read(link);
    assert.equal(viaLink.pods.length, 1);
    // The path is part of the UID: the symlink is another manifest location.
    assert.notEqual(viaLink.pods[0]?.metadata?.uid, r.pods[0]?.metadata?.uid);
  });

  it('reports a directory named like a manifest', async () => {
    const path = join(dir, 'x.yaml');
    await fs.mkdir(path);
    assert.match(onlyProblem(await read(path), path), /is a directory/);
  });

  it('reports a dangling symlink', async () => {
    const path = join(dir, 'dangling.yaml');
    await fs.symlink(join(dir, 'does-not-exist.yaml'), path);
    assert.match(onlyProblem(await read(path), path), /symlink.*target does not exist/);
  });

  it('reports a missing file', async () => {
    const path = join(dir, 'gone.yaml');
    assert.match(onlyProblem(await read(path), path), /does not exist/);
  });

  it('reports a 20 MB file without reading it', async () => {
    const path = join(dir, 'huge.yaml');
    // A sparse file: 20 MB by size, so only a size check (not a read) can reject it cheaply.
    const fh = await fs.open(path, 'w');
    try {
      await fh.truncate(20 * 1024 * 1024);
    } finally {
      await fh.close();
    }
    assert.ok(20 * 1024 * 1024 > MAX_MANIFEST_BYTES);
    assert.match(onlyProblem(await read(path), path), /too large: 20971520 bytes/);
  });

  it('reports binary garbage', async () => {
    const path = join(dir, 'core.yaml');
    await fs.writeFile(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0x02, 0xff]));
    assert.match(onlyProblem(await read(path), path), /not a text file/);
  });

  it('reports a FIFO without blocking', async (t) => {
    const path = join(dir, 'pipe.yaml');

    try {
      execFileSync('mkfifo', [path]);
    } catch {
      t.skip('mkfifo not available');
      return;
    }
    assert.match(onlyProblem(await read(path), path), /not a regular file/);
  });

  // As root, chmod 000 does not stop reads, so the read runs in a child process as user nobody
  // (setpriv, util-linux) to meet a real EACCES.
  it('reports an unreadable file and suggests chmod', async () => {
    const path = join(dir, 'secret.yaml');
    await fs.writeFile(path, GOOD);
    await fs.chmod(path, 0o000);
    await fs.chmod(dir, 0o755);
    try {
      const r = isRoot ? readAsNobody(path) : await read(path);
      assert.match(onlyProblem(r, path), /permission denied/);
      assert.match(r.problems[0]!.fix, /chmod/);
    } finally {
      await fs.chmod(path, 0o644);
    }
  });
});
