import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readFile, rm, symlink, utimes, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSource, FILE_SOURCE_STATE, type FileSourceOptions } from '../../src/sources/index.js';
import { silentLogger } from '../../src/log/index.js';
import { capturingLogger, defer, type TestLike, image, names, podYaml, Recorder, sleep, tempDir } from './helpers.js';

const NODE = 'node1';

async function startSource(
  t: TestLike,
  opts: Partial<FileSourceOptions> & { path: string; stateDir: string },
): Promise<{ source: FileSource; rec: Recorder }> {
  const source = new FileSource({ nodeName: NODE, checkFrequencyMs: 100, logger: silentLogger, ...opts });
  const rec = new Recorder();
  defer(t, () => source.stop());
  await source.start(rec.push);
  return { source, rec };
}

/** Makes a file look long settled, so an invalid one is reported at once instead of after ~1 s. */
async function age(path: string): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
}

async function setup(t: TestLike): Promise<{ dir: string; state: string }> {
  const root = await tempDir(t);
  const dir = join(root, 'manifests');
  const state = join(root, 'state');
  await mkdir(dir);
  return { dir, state };
}

test('add, modify and remove a manifest file', async (t) => {
  const { dir, state } = await setup(t);
  const { rec } = await startSource(t, { path: dir, stateDir: state, checkFrequencyMs: 60_000 });
  assert.equal(rec.snapshots.length, 1, 'start() delivers the first snapshot');
  assert.deepEqual(rec.last(), { source: 'file', pods: [], problems: [], origins: new Map() });

  const file = join(dir, 'web.yaml');
  await writeFile(file, podYaml('web'));
  const added = await rec.until('pod added (via inotify: relist is 60 s)', (s) => s.pods.length === 1);
  assert.equal(added.pods[0]!.metadata?.name, `web-${NODE}`);
  assert.equal(added.origins?.get(added.pods[0]!.metadata!.uid!), file);
  const uid1 = added.pods[0]!.metadata!.uid;

  await writeFile(file, podYaml('web', 'nginx:1.27'));
  const modified = await rec.until('pod modified', (s) => image(s.pods[0]) === 'nginx:1.27');
  assert.equal(modified.pods.length, 1);
  assert.notEqual(modified.pods[0]!.metadata!.uid, uid1, 'a changed manifest has a new UID');
  assert.deepEqual(modified.problems, []);

  await rm(file);
  await rec.until('pod removed', (s) => s.pods.length === 0);
});

test('dot-files and editor/package leftovers are ignored, each leftover logged once', async (t) => {
  const { dir, state } = await setup(t);
  const leftovers = ['a.yaml~', 'a.yaml.swp', 'a.yaml.swx', 'a.yaml.bak', 'a.yaml.tmp', 'a.yaml.dpkg-old', 'a.yaml.dpkg-new', 'a.yaml.dpkg-dist', 'a.yaml.rpmnew', 'a.yaml.rpmsave'];
  for (const [i, name] of leftovers.entries()) await writeFile(join(dir, name), podYaml(`left${i}`));
  await writeFile(join(dir, '.hidden.yaml'), podYaml('hidden'));
  await writeFile(join(dir, 'a.yaml'), podYaml('real'));
  const logger = capturingLogger();
  const { rec } = await startSource(t, { path: dir, stateDir: state, checkFrequencyMs: 20, logger });
  assert.deepEqual(names(rec.last()), [`real-${NODE}`]);
  assert.deepEqual(rec.last().problems, []);
  await sleep(300); // many relists
  await writeFile(join(dir, 'b.yaml.bak'), podYaml('late')); // a leftover arriving via inotify
  await sleep(200);
  assert.deepEqual(names(rec.last()), [`real-${NODE}`]);
  const skipped = logger.lines.filter((l) => l.level === 'info' && /^ignoring/.test(l.msg)).map((l) => l.fields.file);
  assert.deepEqual([...skipped].sort(), [...leftovers, 'b.yaml.bak'].sort(), 'one line per leftover, none for dot-files');
});

test('a manifest directory that does not exist yet is picked up when created (and again after removal)', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'manifests');
  const { rec } = await startSource(t, { path: dir, stateDir: join(root, 'state'), checkFrequencyMs: 60_000 });
  assert.deepEqual(rec.last().pods, []);
  assert.deepEqual(rec.last().problems, []);

  await mkdir(dir);
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  await rec.until('pod from the new directory', (s) => s.pods.length === 1);

  await rm(dir, { recursive: true });
  await rec.until('pods gone with the directory', (s) => s.pods.length === 0);

  await mkdir(dir);
  await writeFile(join(dir, 'db.yaml'), podYaml('db'));
  const again = await rec.until('pod from the re-created directory', (s) => s.pods.length === 1);
  assert.deepEqual(names(again), [`db-${NODE}`]);
  // the watch on the new directory works (not only the relist): a second file shows up too
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  await rec.until('second pod', (s) => s.pods.length === 2);
});

test('a manifest path whose parent does not exist either is noticed by the periodic relist', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'a', 'b', 'manifests');
  const { rec } = await startSource(t, { path: dir, stateDir: join(root, 'state'), checkFrequencyMs: 50 });
  assert.deepEqual(rec.last().pods, []);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  await rec.until('pod picked up', (s) => s.pods.length === 1);
});

test('a directory named x.yaml is a problem, other subdirectories are skipped; other files still load', async (t) => {
  const { dir, state } = await setup(t);
  await mkdir(join(dir, 'x.yaml'));
  await writeFile(join(dir, 'x.yaml', 'inner.yaml'), podYaml('inner'));
  await mkdir(join(dir, 'old'));
  await writeFile(join(dir, 'old', 'inner.yaml'), podYaml('inner2'));
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  const { rec } = await startSource(t, { path: dir, stateDir: state });
  const s = await rec.until('problem for x.yaml', (s) => s.problems.length > 0);
  assert.deepEqual(names(s), [`web-${NODE}`]);
  assert.equal(s.problems.length, 1);
  assert.equal(s.problems[0]!.origin, join(dir, 'x.yaml'));
  assert.match(s.problems[0]!.message, /directory/);
});

test('a dangling symlink is a problem until its target appears', async (t) => {
  const { dir, state } = await setup(t);
  const target = join(dir, '..', 'elsewhere.yaml');
  const link = join(dir, 'web.yaml');
  await symlink(target, link);
  await writeFile(join(dir, 'db.yaml'), podYaml('db'));
  const { rec } = await startSource(t, { path: dir, stateDir: state, checkFrequencyMs: 50 });
  const s = await rec.until('dangling symlink problem', (s) => s.problems.length === 1);
  assert.deepEqual(names(s), [`db-${NODE}`]);
  assert.equal(s.problems[0]!.origin, link);
  assert.match(s.problems[0]!.message, /symlink/);

  await writeFile(target, podYaml('web'));
  const fixed = await rec.until('target picked up by the relist', (s) => s.pods.length === 2);
  assert.deepEqual(fixed.problems, []);
  assert.deepEqual(names(fixed).sort(), [`db-${NODE}`, `web-${NODE}`]);
});

test('an invalid file keeps its last good pod and reports the problem; fixing it clears the problem', async (t) => {
  const { dir, state } = await setup(t);
  const file = join(dir, 'web.yaml');
  await writeFile(file, podYaml('web'));
  const { rec } = await startSource(t, { path: dir, stateDir: state });
  const good = rec.last().pods[0]!;
  assert.ok(good);

  await writeFile(file, podYaml('web').replace('- name: main', '- name: Bad_Name'));
  await age(file);
  const bad = await rec.until('problem reported', (s) => s.problems.length > 0);
  assert.equal(bad.pods.length, 1);
  assert.equal(bad.pods[0], good, 'the last good pod object is kept');
  assert.equal(bad.problems[0]!.origin, file);

  await writeFile(file, podYaml('web', 'nginx:1.27'));
  const fixed = await rec.until('problem cleared', (s) => s.problems.length === 0);
  assert.equal(image(fixed.pods[0]), 'nginx:1.27');
});

test('the last good pod is persisted and survives a new FileSource; a removed file drops it', async (t) => {
  const { dir, state } = await setup(t);
  const file = join(dir, 'web.yaml');
  await writeFile(file, podYaml('web'));
  const first = new FileSource({ path: dir, nodeName: NODE, checkFrequencyMs: 60_000, stateDir: state, logger: silentLogger });
  defer(t, () => first.stop());
  const rec1 = new Recorder();
  await first.start(rec1.push);
  const good = rec1.last().pods[0]!;
  await first.stop();
  const saved = JSON.parse(await readFile(join(state, FILE_SOURCE_STATE), 'utf8'));
  assert.equal(saved.pods[file].metadata.uid, good.metadata!.uid);

  // broken while the agent was down
  await writeFile(file, 'not: [valid');
  await age(file);
  const { rec: rec2, source: second } = await startSource(t, { path: dir, stateDir: state });
  const s = rec2.snapshots[0]!;
  assert.equal(s.pods.length, 1, 'the invalid file still runs its last good pod after a restart');
  assert.equal(s.pods[0]!.metadata!.uid, good.metadata!.uid);
  assert.equal(s.pods[0]!.metadata!.annotations!['kubernetes.io/config.seen'], good.metadata!.annotations!['kubernetes.io/config.seen']);
  assert.equal(s.problems.length, 1);
  await second.stop();

  // removed while the agent was down
  await rm(file);
  const { rec: rec3 } = await startSource(t, { path: dir, stateDir: state });
  assert.deepEqual(rec3.snapshots[0]!.pods, []);
  // and it is forgotten: re-adding an invalid file does not bring the old pod back
  await writeFile(file, 'not: [valid');
  await age(file);
  const after = await rec3.until('problem for the new invalid file', (s) => s.problems.length === 1);
  assert.deepEqual(after.pods, []);
});

test('the same pod in two files: the first in sorted order wins and the problem names both files', async (t) => {
  const { dir, state } = await setup(t);
  await writeFile(join(dir, 'b.yaml'), podYaml('web', 'nginx:1.27'));
  await writeFile(join(dir, 'a.yaml'), podYaml('web'));
  const { rec } = await startSource(t, { path: dir, stateDir: state });
  const s = rec.last();
  assert.equal(s.pods.length, 1);
  assert.equal(image(s.pods[0]), 'busybox:1.36', 'a.yaml wins');
  assert.equal(s.problems.length, 1);
  const p = s.problems[0]!;
  assert.equal(p.origin, join(dir, 'b.yaml'));
  assert.equal(p.field, 'metadata.name');
  assert.equal(p.reason, 'FailedValidation');
  assert.equal(p.message, `Duplicate value: pod "web-${NODE}_default" is already defined by ${join(dir, 'a.yaml')}`);

  await rm(join(dir, 'a.yaml'));
  const after = await rec.until('b.yaml takes over', (s) => image(s.pods[0]) === 'nginx:1.27');
  assert.deepEqual(after.problems, []);
});

test('a file written in slow chunks is never reported as a problem and ends as the final pod', async (t) => {
  const { dir, state } = await setup(t);
  const { rec } = await startSource(t, { path: dir, stateDir: state, checkFrequencyMs: 50 });
  const text = podYaml('web', 'busybox:1.36', '    command: ["sleep", "1000"]\n');
  const cut1 = text.indexOf('- name: main') + 4; // "  - na": containers is a list of a string
  const cut2 = text.indexOf('"1000"'); // inside an unclosed flow sequence
  const chunks = [text.slice(0, cut1), text.slice(cut1, cut2), text.slice(cut2)];
  const handle = await open(join(dir, 'web.yaml'), 'w');
  try {
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await sleep(400);
      await handle.write(chunk);
      await handle.sync();
    }
  } finally {
    await handle.close();
  }
  const s = await rec.until('final pod', (s) => s.pods[0]?.spec?.containers[0]?.command?.length === 2);
  assert.deepEqual(s.pods[0]!.spec!.containers[0]!.command, ['sleep', '1000']);
  await sleep(1500); // past the settle time: still nothing reported
  for (const snap of rec.snapshots) assert.deepEqual(snap.problems, [], 'no snapshot ever carried a problem');
});

test('relisting without changes emits nothing', async (t) => {
  const { dir, state } = await setup(t);
  for (const n of ['a', 'b', 'c']) await writeFile(join(dir, `${n}.yaml`), podYaml(n));
  await writeFile(join(dir, 'bad.yaml'), 'kind: [');
  await age(join(dir, 'bad.yaml'));
  const { rec } = await startSource(t, { path: dir, stateDir: state, checkFrequencyMs: 20 });
  assert.equal(rec.last().pods.length, 3);
  assert.equal(rec.last().problems.length, 1);
  await sleep(400); // ~20 relists
  assert.equal(rec.snapshots.length, 1);
  // a rewrite with identical content (new mtime) re-reads but changes nothing either
  await writeFile(join(dir, 'a.yaml'), podYaml('a'));
  await sleep(200);
  assert.equal(rec.snapshots.length, 1);
});

test('a single file as the manifest path, replaced by rename, removed and re-created', async (t) => {
  const root = await tempDir(t);
  const file = join(root, 'web.yaml');
  await writeFile(file, podYaml('web'));
  const { rec } = await startSource(t, { path: file, stateDir: join(root, 'state'), checkFrequencyMs: 60_000 });
  assert.deepEqual(names(rec.last()), [`web-${NODE}`]);

  await writeFile(join(root, '.tmp-web'), podYaml('web', 'nginx:1.27'));
  await rename(join(root, '.tmp-web'), file);
  await rec.until('replaced by rename', (s) => image(s.pods[0]) === 'nginx:1.27');

  await rm(file);
  await rec.until('removed', (s) => s.pods.length === 0);
  await writeFile(file, podYaml('web'));
  await rec.until('re-created', (s) => image(s.pods[0]) === 'busybox:1.36');
});

test('config.seen stays the same while the content is unchanged', async (t) => {
  const { dir, state } = await setup(t);
  const file = join(dir, 'web.yaml');
  await writeFile(file, podYaml('web'));
  const { rec } = await startSource(t, { path: dir, stateDir: state });
  const seen = rec.last().pods[0]!.metadata!.annotations!['kubernetes.io/config.seen'];
  await writeFile(join(dir, 'db.yaml'), podYaml('db'));
  await sleep(20);
  await writeFile(file, podYaml('web')); // same content, new mtime
  const s = await rec.until('second pod', (s) => s.pods.length === 2);
  const web = s.pods.find((p) => p.metadata?.name === `web-${NODE}`)!;
  assert.equal(web.metadata!.annotations!['kubernetes.io/config.seen'], seen);
});
