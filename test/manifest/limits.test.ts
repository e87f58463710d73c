import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodePodListManifestOffThread,
  decodePodManifest,
  decodePodManifestOffThread,
  formatProblem,
  PARSE_LIMITS,
  readPodManifestFile,
  type DecodeResult,
  type StaticIdentity,
} from '../../src/manifest/index.js';

const id: StaticIdentity = { nodeName: 'node-1', source: 'file', origin: '/etc/kubernetes/manifests/web.yaml' };

const pod = (containerExtra: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: x\n${containerExtra}`;

function refused(result: DecodeResult, pattern: RegExp): string {
  assert.deepEqual(result.pods, []);
  assert.equal(result.problems.length, 1, result.problems.map(formatProblem).join('\n'));
  const text = formatProblem(result.problems[0]!);
  assert.match(text, pattern);
  assert.ok(text.startsWith(id.origin), text);
  assert.match(text, /\(fix: .{20,}\)$/);
  return text;
}

/** A label-heavy but valid manifest of about `labels` * 76 bytes. */
function labelled(labels: number): string {
  const lines = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: big', '  labels:'];
  for (let i = 0; i < labels; i++) lines.push(`    label-number-${i}: value-${i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`);
  lines.push('spec:', '  containers:', '  - name: c', '    image: x', '');
  return lines.join('\n');
}

describe('parse limits: refused before parsing, naming the limit', () => {
  const deep = 100_000;
  it('a 100 000-deep YAML flow sequence', () => {
    const text = refused(decodePodManifest(pod(`    args: ${'['.repeat(deep)}${']'.repeat(deep)}\n`), id), /parse limit maxDepth, crossed at line 9/);
    assert.match(text, new RegExp(`limit of ${PARSE_LIMITS.maxDepth} levels`));
  });
  it('a 100 000-deep YAML block sequence ("- - - ...")', () => {
    refused(decodePodManifest(pod(`    args: ${'- '.repeat(deep)}x\n`), id), /parse limit maxDepth/);
  });
  it('a 100 000-deep JSON manifest', () => {
    refused(decodePodManifest(`{"apiVersion":"v1","kind":"Pod","x":${'['.repeat(deep)}${']'.repeat(deep)}}`, id), /parse limit maxDepth, crossed at line 1/);
  });
  it('deep nesting costs no memory worth the name (no tree is built)', () => {
    const text = pod(`    args: ${'[{a: '.repeat(deep / 2)}\n`);
    const before = process.memoryUsage().heapUsed;
    refused(decodePodManifest(text, id), /maxDepth/);
    assert.ok(process.memoryUsage().heapUsed - before < 20 * 1024 * 1024);
  });
  it('too many aliases, and aliases that expand exponentially (billion laughs)', () => {
    const many = `a: &a x\nb: [${Array.from({ length: PARSE_LIMITS.maxAliases + 1 }, () => '*a').join(', ')}]\n`;
    refused(decodePodManifest(many, id), /parse limit maxAliases/);
    const laughs = ['a: &a [x,x,x,x,x,x,x,x,x]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    refused(decodePodManifest(laughs.join('\n'), id), /aliases expand to too many values \(parse limit: alias expansion/);
  });
  it('a string longer than the limit, in YAML and in JSON', () => {
    const long = 'x'.repeat(PARSE_LIMITS.maxStringLength + 1);
    refused(decodePodManifest(pod(`    args: ["${long}"]\n`), id), /parse limit maxStringLength/);
    refused(decodePodManifest(`{"apiVersion":"v1","kind":"Pod","x":"${long}"}`, id), /parse limit maxStringLength/);
  });
  it('brackets, dashes and quotes inside scalars and block scalars are not nesting', () => {
    const script = `    command: ['sh', '-c', 'echo ${'['.repeat(200)}']\n    args:\n    - |\n      ${'{'.repeat(200)}\n      ${'- '.repeat(200)}\n    - "${'['.repeat(200)}"\n`;
    const result = decodePodManifest(pod(script), id);
    assert.deepEqual(result.problems, []);
    assert.equal(result.pods.length, 1);
  });
});

describe('duplicate keys: still refused, in linear time', () => {
  it('names the key and its line', () => {
    refused(decodePodManifest(pod('    image: y\n'), id), /the key "image" appears twice in one mapping \(at line 9, column 5\)/);
  });
  it('a duplicate among 120 000 labels is found', () => {
    const text = labelled(120_000).replace('    label-number-119999:', '    label-number-7:');
    refused(decodePodManifest(text, id), /the key "label-number-7" appears twice/);
  });
});

describe('large manifests are decoded off the main thread', () => {
  it('a 9 MB manifest with 120 000 labels decodes while the event loop keeps running', async () => {
    const text = labelled(120_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const result = await decodePodManifestOffThread(text, id);
      assert.deepEqual(result.problems, []);
      assert.equal(Object.keys(result.pods[0]!.metadata!.labels!).length, 120_000);
      // Decoded inline, the interval could not fire once between the call and the result.
      assert.ok(ticks > 0, 'the event loop ran while the manifest was decoded');
    } finally {
      clearInterval(timer);
    }
  });
  it('a large URL body (a PodList) too, with problems reported the same way', async () => {
    const body = labelled(5_000).replace('kind: Pod', 'kind: Deployment');
    const result = await decodePodListManifestOffThread(body, { ...id, source: 'http', origin: 'http://config.local/pods' });
    assert.equal(result.pods.length, 0);
    assert.match(formatProblem(result.problems[0]!), /^http:\/\/config\.local\/pods: kind: Unsupported value: "Deployment"/);
  });
  it('readPodManifestFile refuses a deep file with the limit named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-limits-'));
    try {
      const path = join(dir, 'deep.yaml');
      writeFileSync(path, pod(`    args: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`));
      const result = await readPodManifestFile(path, { ...id, origin: path });
      assert.match(formatProblem(result.problems[0]!), /deep\.yaml: is refused before parsing: it nests deeper than the limit of 100 levels/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
