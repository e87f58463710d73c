// The durable store on real SQLite files: what survives a reopen (objects, the resourceVersion
// counter, the change history a watch resumes from), a kill -9 in the middle of writing, a damaged
// or foreign or newer file (set aside, store rebuilt, never a start that fails forever), a second
// agent on the same file, and a full disk (the write is refused with 507 and nothing changes).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openDurableStore, StoreLockedError, StoreWriteError, type DurableStore } from '../../../src/apiserver/store/index.js';
import type { KubeObject } from '../../../src/apiserver/resources.js';
import { MEMORY_HISTORY } from '../../../src/apiserver/store.js';
import { silentLogger, type Logger } from '../../../src/log/index.js';
import { defer, tempDir, type TestLike } from '../../cleanup.js';

const WRITER = fileURLToPath(new URL('../../fixtures/store-writer.ts', import.meta.url));

function pod(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z', labels } };
}

function open(t: TestLike, file: string, historySize = 100, logger: Logger = silentLogger): DurableStore {
  const s = openDurableStore({ file, historySize, logger });
  defer(t, () => s.close());
  return s;
}

/** Opens the file directly with SQLite for a check, and closes it again (it would hold a lock). */
function inspect<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const l: Logger & { errors: string[] } = {
    ...silentLogger,
    errors,
    error: (msg: string) => void errors.push(msg),
    child: () => l,
  };
  return l;
}

test('objects, the resourceVersion counter and the history survive a reopen', async (t) => {
  const file = join(await tempDir(t, 'store'), 'state.db');
  const a = openDurableStore({ file, historySize: 100, logger: silentLogger });
  const first = a.store.write('pods', pod('web', { tier: 'a' }));
  a.store.write('pods', pod('web', { tier: 'b' }));
  a.store.write('pods', pod('gone'));
  a.store.remove('pods', 'default', 'gone');
  a.store.write('leases.coordination.k8s.io', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n', namespace: 'kube-node-lease' } });
  const rv = a.store.resourceVersion;
  a.close();

  const b = open(t, file);
  assert.equal(b.store.resourceVersion, rv, 'the counter continues where it stopped');
  assert.deepEqual(b.store.list('pods').map((o) => [o.metadata.name, o.metadata.uid, o.metadata.labels?.['tier']]), [['web', 'uid-web', 'b']]);
  assert.equal(b.store.count('leases.coordination.k8s.io'), 1);
  // A watcher that saw the first write resumes with everything after it, prev included.
  const h = b.store.since('pods', Number(first.metadata.resourceVersion));
  assert.equal(h.kind, 'ok');
  if (h.kind === 'ok') {
    assert.deepEqual(h.events.map((e) => `${e.type}:${e.object.metadata.name}`), ['MODIFIED:web', 'ADDED:gone', 'DELETED:gone']);
    assert.equal(h.events[0]!.prev?.metadata.labels?.['tier'], 'a');
  }
  // New writes continue the sequence.
  assert.equal(b.store.write('pods', pod('next')).metadata.resourceVersion, String(rv + 1));
});

test('history is bounded: after a reopen a too old version is expired, a recent one resumes', async (t) => {
  const file = join(await tempDir(t, 'store'), 'state.db');
  const a = openDurableStore({ file, historySize: 50, logger: silentLogger });
  const start = a.store.resourceVersion;
  for (let i = 0; i < 700; i++) a.store.write('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}`, namespace: 'default' } });
  const rv = a.store.resourceVersion;
  a.close();
  const rows = inspect(file, (db) => (db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n);
  assert.ok(rows < 700, `history rows are trimmed on disk (${rows})`);

  const b = open(t, file, 50);
  assert.equal(b.store.since('events', start).kind, 'expired');
  const h = b.store.since('events', rv - 10);
  assert.equal(h.kind, 'ok');
  if (h.kind === 'ok') assert.equal(h.events.length, 10);
  assert.equal(b.store.since('events', rv + 1).kind, 'future');
  assert.equal(b.store.count('events'), 700);
});

test('only the newest changes stay in memory; a watch from further back is served from the file, prev included', async (t) => {
  const file = join(await tempDir(t, 'store'), 'state.db');
  const historySize = MEMORY_HISTORY * 4;
  const { store } = open(t, file, historySize);
  const start = store.resourceVersion;
  // Two resources interleaved, so the read back must filter by resource and keep rv order.
  for (let i = 0; i < MEMORY_HISTORY * 3; i++) {
    store.write('pods', pod('web', { round: String(i) }));
    store.write('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}`, namespace: 'default' } });
  }
  assert.equal(store.size().history, MEMORY_HISTORY, 'the ring in memory is bounded by MEMORY_HISTORY, not historySize');
  const now = store.resourceVersion;
  const from = now - historySize + 1; // the oldest version a watch may still resume from
  const h = store.since('pods', from);
  assert.equal(h.kind, 'ok');
  if (h.kind !== 'ok') return;
  const rvs = h.events.map((e) => e.rv);
  assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y), 'in rv order across the file and the memory ring');
  assert.equal(h.events.length, Math.floor((now - from) / 2), 'every pod change after the version, none of the events');
  assert.ok(h.events.every((e) => e.resource === 'pods' && e.type === 'MODIFIED'));
  // prev is the version before each change: the label's round counts up by one.
  for (const e of h.events) assert.equal(Number(e.prev?.metadata.labels?.['round']) + 1, Number(e.object.metadata.labels?.['round']));
  assert.equal(store.since('pods', now - historySize - 1).kind, 'expired', 'older than historySize is still 410');
  assert.ok(now - historySize > start);
});

test('every acknowledged write survives kill -9 at any moment', async (t) => {
  const dir = await tempDir(t, 'store');
  for (let round = 0; round < 3; round++) {
    const file = join(dir, `state-${round}.db`);
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    defer(t, () => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.setEncoding('utf8');
    // Killed after a varying number of acknowledged writes, mid-stream.
    const target = 300 + round * 1700;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: string) => {
        out += c;
        if (out.split('\n').length > target) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code) => (code === null ? resolve() : reject(new Error(`writer exited with ${code}`))));
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    const acked = out.split('\n').filter((l) => /^\d+ \S+ \S+$/.test(l)).map((l) => l.split(' '));
    assert.ok(acked.length >= target - 1);

    assert.equal(inspect(file, (db) => db.pragma('integrity_check', { simple: true })), 'ok');
    const s = open(t, file, 1000);
    const last = acked.at(-1)!;
    assert.ok(s.store.resourceVersion >= Number(last[0]), `counter ${s.store.resourceVersion} >= last acknowledged ${last[0]}`);
    // The newest acknowledged write of each name is there (or an even newer one).
    const newest = new Map<string, number>();
    for (const [rv, name] of acked) newest.set(name!, Number(rv));
    for (const [name, rv] of newest) {
      const o = s.store.get('events', 'default', name);
      assert.ok(o && Number(o.metadata.resourceVersion) >= rv, `${name}: acknowledged at ${rv}, found ${o?.metadata.resourceVersion}`);
    }
    s.close();
  }
});

test('a damaged file is set aside with a clear error and the store starts empty', async (t) => {
  const dir = await tempDir(t, 'store');
  const file = join(dir, 'state.db');
  writeFileSync(file, 'this is not a database, it is a text file '.repeat(200));
  const log = recordingLogger();
  const s = open(t, file, 100, log);
  assert.equal(s.store.count('pods'), 0);
  assert.ok(s.setAside, 'reports what it set aside');
  assert.ok(existsSync(s.setAside.path), 'the damaged file is kept, not deleted');
  assert.match(log.errors.join('\n'), /state\.db cannot be used: the file is damaged.*moved to .*unusable-.*republishes/s);
  s.store.write('pods', pod('a'));
  s.close();
  // The rebuilt store is a good one: the next start uses it.
  const again = open(t, file);
  assert.equal(again.store.count('pods'), 1);
  assert.equal(again.setAside, undefined);
});

test('a store whose pages were damaged is set aside, not loaded half', async (t) => {
  const dir = await tempDir(t, 'store');
  const file = join(dir, 'state.db');
  const a = openDurableStore({ file, historySize: 100, logger: silentLogger });
  for (let i = 0; i < 300; i++) a.store.write('pods', pod(`p${i}`));
  a.close();
  // Overwrite the middle of the file (b-tree pages) with garbage, keeping the header.
  const size = statSync(file).size;
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1024', `seek=${Math.floor(size / 2048)}`, 'count=8', 'conv=notrunc'], { stdio: 'ignore' });
  const log = recordingLogger();
  const s = open(t, file, 100, log);
  assert.ok(s.setAside, log.errors.join('\n'));
  assert.equal(s.store.count('pods'), 0);
});

test('a store from a newer berth, or another SQLite database, is set aside and named as such', async (t) => {
  const dir = await tempDir(t, 'store');
  const newer = join(dir, 'newer.db');
  const a = openDurableStore({ file: newer, historySize: 100, logger: silentLogger });
  a.store.write('pods', pod('a'));
  a.close();
  const db = new Database(newer);
  db.pragma('user_version = 99');
  db.close();
  const log = recordingLogger();
  const s = open(t, newer, 100, log);
  assert.match(s.setAside?.why ?? '', /written by a newer berth \(store schema 99; this berth reads schema 1\)/);
  assert.match(log.errors.join('\n'), /move .* back to .*newer\.db/);

  const foreign = join(dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE t (x)');
  f.close();
  const s2 = open(t, foreign);
  assert.match(s2.setAside?.why ?? '', /not a berth API store/);
  assert.ok(readdirSync(dir).some((n) => n.startsWith('foreign.db.unusable-')));
});

test('a second store on the same file is refused: another agent has it', async (t) => {
  const file = join(await tempDir(t, 'store'), 'state.db');
  const a = open(t, file);
  a.store.write('pods', pod('a'));
  assert.throws(() => openDurableStore({ file, historySize: 100, logger: silentLogger }), (err: unknown) => {
    assert.ok(err instanceof StoreLockedError);
    assert.match((err as Error).message, /locked by another process: is another berth agent running with the same --root-dir/);
    return true;
  });
  assert.equal(a.store.count('pods'), 1, 'the first store is untouched');
});

test('disk full: the write is refused with 507, nothing changes, and writes work again once there is room', async (t) => {
  const dir = await tempDir(t, 'store');
  const mnt = join(dir, 'small');
  execFileSync('mkdir', ['-p', mnt]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  defer(t, () => void execFileSync('umount', ['-l', mnt]));
  // Something else on the same file system, which the operator deletes to make room.
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(256 * 1024, 1));
  const file = join(mnt, 'state.db');
  const s = open(t, file);
  const big = 'x'.repeat(4000);
  let refused: StoreWriteError | undefined;
  for (let i = 0; i < 5000 && !refused; i++) {
    const before = s.store.resourceVersion;
    try {
      s.store.write('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}`, namespace: 'default' }, message: big });
    } catch (err) {
      assert.ok(err instanceof StoreWriteError, String(err));
      refused = err;
      assert.equal(s.store.resourceVersion, before, 'a refused write does not bump the counter');
      assert.equal(s.store.get('events', 'default', `e${i}`), undefined, 'nor appear in memory');
    }
  }
  assert.ok(refused, 'the 1 MiB file system filled up');
  assert.equal(refused.code, 507);
  assert.equal(refused.reason, 'InsufficientStorage');
  assert.match(refused.message, /state\.db cannot save this change: the disk is full .*free space .*static pods keep running/);
  // Reads keep working, from memory.
  const kept = s.store.count('events');
  assert.ok(kept > 0);
  assert.ok(s.store.get('events', 'default', 'e0'));
  unlinkSync(join(mnt, 'filler'));
  const after = s.store.write('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'after', namespace: 'default' }, message: 'small' });
  assert.equal(Number(after.metadata.resourceVersion), s.store.resourceVersion);
  s.close();
  const again = open(t, file);
  assert.ok(again.store.get('events', 'default', 'after'));
  assert.equal(again.store.count('events'), kept + 1);
});

test('removeMany is one transaction: every removal gets its own version and DELETED event, and all of them survive a reopen', async (t) => {
  const file = join(await tempDir(t, 'store'), 'state.db');
  const a = openDurableStore({ file, historySize: 100, logger: silentLogger });
  for (let i = 0; i < 10; i++) a.store.write('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}`, namespace: 'default' } });
  const before = a.store.resourceVersion;
  // A missing object and a repeated one are skipped, not counted.
  const gone = a.store.removeMany('events', [
    { namespace: 'default', name: 'e3' },
    { namespace: 'default', name: 'missing' },
    { namespace: 'default', name: 'e1' },
    { namespace: 'default', name: 'e3' },
  ]);
  assert.deepEqual(gone.map((o) => [o.metadata.name, o.metadata.resourceVersion]), [['e3', String(before + 1)], ['e1', String(before + 2)]]);
  assert.equal(a.store.resourceVersion, before + 2);
  a.close();
  // One commit: the WAL gained one transaction's frames, so the history rows are there after a reopen.
  const b = open(t, file);
  assert.equal(b.store.count('events'), 8);
  assert.equal(b.store.get('events', 'default', 'e1'), undefined);
  const h = b.store.since('events', before);
  assert.equal(h.kind, 'ok');
  if (h.kind === 'ok') assert.deepEqual(h.events.map((e) => `${e.type}:${e.object.metadata.name}:${e.rv}`), [`DELETED:e3:${before + 1}`, `DELETED:e1:${before + 2}`]);
});

test('removeMany on a full disk removes nothing: memory and file keep every object', async (t) => {
  const dir = await tempDir(t, 'store');
  const mnt = join(dir, 'small');
  execFileSync('mkdir', ['-p', mnt]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  defer(t, () => void execFileSync('umount', ['-l', mnt]));
  const file = join(mnt, 'state.db');
  const s = open(t, file);
  const big = 'x'.repeat(4000);
  let n = 0;
  for (; n < 5000; n++) {
    try {
      s.store.write('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${n}`, namespace: 'default' }, message: big });
    } catch (err) {
      assert.ok(err instanceof StoreWriteError, String(err));
      break;
    }
  }
  const rv = s.store.resourceVersion;
  const targets = Array.from({ length: n }, (_, i) => ({ namespace: 'default', name: `e${i}` }));
  assert.throws(() => s.store.removeMany('events', targets), StoreWriteError);
  assert.equal(s.store.count('events'), n, 'nothing removed from memory');
  assert.equal(s.store.resourceVersion, rv, 'the counter did not move');
  s.close();
  assert.equal(open(t, file).store.count('events'), n, 'nothing removed from the file');
});
