import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { PodConfig, type PodUpdate } from '../../src/config/index.js';
import { decodePodManifest, type ManifestProblem } from '../../src/manifest/index.js';
import type { SourceKind, SourceSnapshot } from '../../src/sources/index.js';
import { silentLogger } from '../../src/log/index.js';
import { capturingLogger } from '../sources/helpers.js';

const NODE = 'node1';
const SEEN = 'kubernetes.io/config.seen';

function pod(name: string, opts: { image?: string; source?: SourceKind; origin?: string; uid?: string; seen?: Date } = {}): Pod {
  const source = opts.source ?? 'file';
  const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${opts.uid ? `  uid: ${opts.uid}\n` : ''}spec:
  containers:
  - name: main
    image: ${opts.image ?? 'busybox:1.36'}
`;
  const origin = opts.origin ?? (source === 'file' ? `/etc/kubernetes/manifests/${name}.yaml` : 'http://example.test/pods.yaml');
  const r = decodePodManifest(yaml, { nodeName: NODE, source, origin, seen: opts.seen });
  assert.deepEqual(r.problems, []);
  return r.pods[0]!;
}

function snap(source: SourceKind, pods: Pod[], problems: ManifestProblem[] = [], origins?: Map<string, string>): SourceSnapshot {
  return { source, pods, problems, ...(origins ? { origins } : {}) };
}

function withOrigins(source: SourceKind, entries: Array<[Pod, string]>, problems: ManifestProblem[] = []): SourceSnapshot {
  return snap(source, entries.map(([p]) => p), problems, new Map(entries.map(([p, o]) => [p.metadata!.uid!, o])));
}

function recorder(): { updates: PodUpdate[]; config: PodConfig } {
  const updates: PodUpdate[] = [];
  return { updates, config: new PodConfig({ logger: silentLogger, onUpdate: (u) => updates.push(u) }) };
}

const uids = (ps: Pod[]): string[] => ps.map((p) => p.metadata!.uid!).sort();

test('adds, removes, and sends nothing when nothing changed', () => {
  const { updates, config } = recorder();
  const a = pod('a');
  const b = pod('b');
  config.apply(snap('file', [a, b]));
  assert.equal(updates.length, 1);
  assert.deepEqual(uids(updates[0]!.added), uids([a, b]));
  assert.deepEqual(updates[0]!.removed, []);
  assert.deepEqual(updates[0]!.updated, []);

  config.apply(snap('file', [a, b]));
  // a re-decoded copy with only a different config.seen is the same pod
  config.apply(snap('file', [pod('a', { seen: new Date(0) }), b]));
  assert.equal(updates.length, 1, 'no update when the set is unchanged');
  assert.equal(config.pods().find((p) => p.metadata!.name === `a-${NODE}`), a, 'the old object is kept');

  config.apply(snap('file', [a]));
  assert.equal(updates.length, 2);
  assert.deepEqual(updates[1], { added: [], removed: [b], updated: [] });
  assert.deepEqual(config.pods(), [a]);
});

test('a changed manifest is one removal and one addition in the same update', () => {
  const { updates, config } = recorder();
  const v1 = pod('web');
  const v2 = pod('web', { image: 'nginx:1.27' });
  assert.notEqual(v1.metadata!.uid, v2.metadata!.uid);
  config.apply(snap('file', [v1]));
  config.apply(snap('file', [v2]));
  assert.deepEqual(updates[1], { added: [v2], removed: [v1], updated: [] });
});

test('a pinned metadata.uid makes a change an in-place update that keeps config.seen', () => {
  const { updates, config } = recorder();
  const v1 = pod('web', { uid: 'pinned-1', seen: new Date('2024-01-01T00:00:00Z') });
  const v2 = pod('web', { uid: 'pinned-1', image: 'nginx:1.27', seen: new Date('2025-01-01T00:00:00Z') });
  config.apply(snap('file', [v1]));
  config.apply(snap('file', [v2]));
  assert.equal(updates.length, 2);
  assert.deepEqual(updates[1]!.added, []);
  assert.deepEqual(updates[1]!.removed, []);
  assert.equal(updates[1]!.updated.length, 1);
  const updated = updates[1]!.updated[0]!;
  assert.equal(updated.spec!.containers[0]!.image, 'nginx:1.27');
  assert.equal(updated.metadata!.annotations![SEEN], '2024-01-01T00:00:00.000Z');
});

test('the same full name from two sources: the first keeps running, the other is a problem naming both', () => {
  const { updates, config } = recorder();
  const fromFile = pod('web', { source: 'file' });
  const fromUrl = pod('web', { source: 'http', image: 'nginx:1.27' });
  const other = pod('db', { source: 'http' });
  config.apply(withOrigins('file', [[fromFile, '/etc/kubernetes/manifests/web.yaml']]));
  config.apply(withOrigins('http', [[fromUrl, 'http://example.test/pods.yaml'], [other, 'http://example.test/pods.yaml']]));
  assert.deepEqual(updates[1], { added: [other], removed: [], updated: [] }, 'the conflicting pod is not added');
  assert.deepEqual(uids(config.pods()), uids([fromFile, other]));
  const problems = config.problems();
  assert.equal(problems.length, 1);
  assert.deepEqual(problems[0], {
    origin: 'http://example.test/pods.yaml',
    field: 'metadata.name',
    message: `Duplicate value: pod "web-${NODE}_default" is already defined by /etc/kubernetes/manifests/web.yaml`,
    fix: 'rename one of the pods or remove it from one of the sources (file and http)',
    reason: 'FailedValidation',
  });

  // the file source re-sending its set does not change who wins
  config.apply(withOrigins('file', [[fromFile, '/etc/kubernetes/manifests/web.yaml']]));
  assert.equal(updates.length, 2);

  // when the file pod goes, the URL's pod takes over in one update and the problem goes away
  config.apply(snap('file', []));
  assert.deepEqual(updates[2], { added: [fromUrl], removed: [fromFile], updated: [] });
  assert.deepEqual(config.problems(), []);

  // and now the URL's pod is the first: a file pod with that name is the one refused
  config.apply(withOrigins('file', [[fromFile, '/etc/kubernetes/manifests/web.yaml']]));
  assert.equal(updates.length, 3);
  assert.equal(config.problems()[0]!.origin, '/etc/kubernetes/manifests/web.yaml');
});

test('problems() aggregates all sources and conflicts; problemsChanged fires only on change', () => {
  const { config } = recorder();
  const seen: ManifestProblem[][] = [];
  config.problemsChanged((p) => seen.push(p));
  const fileProblem: ManifestProblem = { origin: '/m/a.yaml', field: 'spec', message: 'Required value', fix: 'add a spec', reason: 'FailedValidation' };
  const urlProblem: ManifestProblem = { origin: 'http://x/p', field: '', message: 'GET returned HTTP 500 Internal Server Error', fix: 'f', reason: 'FailedToParse' };
  config.apply(snap('file', [pod('web')], [fileProblem]));
  config.apply(snap('http', [pod('web', { source: 'http' })], [urlProblem]));
  const all = config.problems();
  assert.equal(all.length, 3);
  assert.deepEqual(all.slice(0, 2), [fileProblem, urlProblem]);
  assert.match(all[2]!.message, /^Duplicate value/);
  assert.equal(seen.length, 2);
  config.apply(snap('http', [pod('web', { source: 'http' })], [urlProblem]));
  assert.equal(seen.length, 2, 'same problems again: no call');
  config.apply(snap('http', [], []));
  assert.deepEqual(config.problems(), [fileProblem]);
  assert.equal(seen.length, 3);
  assert.deepEqual(seen[2], [fileProblem]);
});

test('each problem is logged once when it appears and once when resolved; pod changes once each', () => {
  const logger = capturingLogger();
  const config = new PodConfig({ logger, onUpdate: () => {} });
  const problem: ManifestProblem = {
    origin: '/m/a.yaml',
    field: 'spec.containers[0].name',
    message: 'Required value',
    fix: 'give every container a name',
    reason: 'FailedValidation',
  };
  const web = pod('web');
  for (let i = 0; i < 5; i++) config.apply(snap('file', [web], [problem]));
  const warns = logger.lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1);
  assert.equal(warns[0]!.msg, '/m/a.yaml: spec.containers[0].name: Required value (fix: give every container a name)');
  assert.deepEqual(
    { origin: warns[0]!.fields.origin, field: warns[0]!.fields.field, reason: warns[0]!.fields.reason },
    { origin: '/m/a.yaml', field: 'spec.containers[0].name', reason: 'FailedValidation' },
  );
  assert.equal(logger.lines.filter((l) => l.msg === 'adding static pod').length, 1);
  const added = logger.lines.find((l) => l.msg === 'adding static pod')!;
  assert.equal(added.fields.pod, `web-${NODE}_default`);
  assert.equal(added.fields.uid, web.metadata!.uid);
  assert.equal(added.fields.source, 'file');

  for (let i = 0; i < 3; i++) config.apply(snap('file', [], []));
  assert.equal(logger.lines.filter((l) => l.msg === 'manifest problem resolved').length, 1);
  assert.equal(logger.lines.filter((l) => l.msg === 'removing static pod').length, 1);
  assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1);
});

test('two pods with the same full name inside one source: the first wins', () => {
  const { config } = recorder();
  const a = pod('web', { origin: 'http://x/1' , source: 'http' });
  const b = pod('web', { origin: 'http://x/2', source: 'http', image: 'nginx:1.27' });
  config.apply(snap('http', [a, b]));
  assert.deepEqual(config.pods(), [a]);
  assert.equal(config.problems().length, 1);
  assert.match(config.problems()[0]!.message, /already defined by the http source/);
});
