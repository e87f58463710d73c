// Hostile and huge manifests (issue 10, "bounded"): a 200 KB manifest nested 100 000 deep must be
// refused for a few MB; a valid 10 MB manifest with 120 000 labels must parse in <= 2 s while
// /healthz keeps answering; a detached signature must verify in <= 1 ms. Memory and latency are
// observed from outside the agent (/proc, HTTP); the signature check runs Berth's verifier here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllowedSigners, SIGNATURE_NAMESPACE, verifySignature } from '../src/trust/index.js';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { createEnv, markerOf, markerPod, type Berth, type BenchEnv } from './lib/berth.js';
import { sleep, statusKb } from './lib/proc.js';
import { median, percentile, round } from './lib/stats.js';
import { discardLater } from './lib/scratch.js';

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

const guard = <T>(berth: Berth, p: Promise<T>): Promise<T> => Promise.race([p, berth.exited]);

async function withEnv<T>(label: string, body: (env: BenchEnv, berth: Berth) => Promise<T>): Promise<T> {
  const env = createEnv(label);
  try {
    return await body(env, await env.startBerth(['--serve-api=false']));
  } finally {
    await env.cleanup();
  }
}

/** Polls /healthz back to back until stopped; the latencies and failures. */
function healthLoad(berth: Berth): { stop(): Promise<{ ms: number[]; failures: number }> } {
  const ms: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      try {
        await berth.healthz();
      } catch {
        failures++;
      }
      ms.push(performance.now() - t);
      await sleep(5);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ms, failures };
    },
  };
}

const pod = (name: string, containerExtra: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: x\n    command: ["sleep", "3600"]\n${containerExtra}`;

const DEEP = 100_000;

const nested: Benchmark = {
  id: 'nested',
  title: '200 KB manifests nested 100 000 deep (YAML and JSON) -> refused, memory',
  run: () =>
    withEnv('nested', async (env, berth): Promise<Outcome> => {
      await sleep(2_000); // settle after start-up
      const baseKb = statusKb(berth.pid, 'VmRSS');
      let peakKb = baseKb;
      const timer = setInterval(() => (peakKb = Math.max(peakKb, statusKb(berth.pid, 'VmRSS'))), 20);
      const files = {
        'deep-flow': pod('deep-flow', `    args: ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n`),
        'deep-block': pod('deep-block', `    args: ${'- '.repeat(DEEP)}x\n`),
        'deep-json': `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"deep-json"},"x":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`,
      };
      const refusedMs: number[] = [];
      try {
        for (const [name, text] of Object.entries(files)) {
          const t0 = env.writeManifest(name, text);
          const line = await guard(berth, berth.waitLog((l) => String(l.msg).includes(`${name}.json: is refused before parsing`), `${name} refused`, 30_000));
          refusedMs.push(line.arrivedAt - t0);
        }
        await sleep(1_000);
      } finally {
        clearInterval(timer);
      }
      const afterKb = statusKb(berth.pid, 'VmRSS');
      return {
        checks: [
          check('nested: peak RSS increase (3 manifests, 200 KB each)', (peakKb - baseKb) / 1024, 'MB', 20),
          check('  nested: RSS increase after', (afterKb - baseKb) / 1024, 'MB'),
          check('  nested: written -> refused, median', median(refusedMs), 'ms'),
        ],
        breakdown: [],
        raw: { baseKb, peakKb, afterKb, refusedMs, sizes: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.length])) },
      };
    }),
};

function labelled(name: string, labels: number): string {
  const lines = ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${name}`, '  labels:'];
  for (let i = 0; i < labels; i++) lines.push(`    label-number-${i}: value-${i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`);
  lines.push('spec:', '  containers:', '  - name: c', '    image: x', '    command: ["sleep", "3600"]', '');
  return lines.join('\n');
}

const bigManifest: Benchmark = {
  id: 'bigmanifest',
  title: 'a 10 MB manifest with 120 000 labels -> parsed; /healthz and other pods meanwhile',
  run: () =>
    withEnv('bigmanifest', async (env, berth): Promise<Outcome> => {
      const text = labelled('big', 120_000);
      const commit = env.stageManifest('big', text);
      const health = healthLoad(berth);
      await sleep(500);
      const t0 = commit();
      // Another pod written right after must start meanwhile, not after the parse.
      const other = env.writeManifest('other', markerPod('other', env.markers.dir));
      const otherHit = await guard(berth, env.markers.waitOne(markerOf('other'), 'the other pod to start', 30_000));
      const added = await guard(berth, berth.waitLog((l) => l.msg === 'adding static pod' && String(l.pod).startsWith('big-'), 'big pod added', 60_000));
      await sleep(500);
      const h = await health.stop();
      return {
        checks: [
          check(`bigmanifest: ${(text.length / 1e6).toFixed(1)} MB written -> pod added (parsed)`, (added.arrivedAt - t0) / 1000, 's', 2),
          check('  bigmanifest: /healthz p99 meanwhile', percentile(h.ms, 99), 'ms', 100),
          check('  bigmanifest: /healthz failures', h.failures, 'count', 0),
          check('  bigmanifest: another pod written -> running, meanwhile', otherHit.at - other, 'ms'),
        ],
        breakdown: [],
        raw: { bytes: text.length, addedMs: added.arrivedAt - t0, healthMs: h.ms, otherMs: otherHit.at - other },
      };
    }),
};

const sigVerify: Benchmark = {
  id: 'sigverify',
  title: 'detached ed25519 signature (ssh-keygen -Y sign) verified per manifest',
  async run(): Promise<Outcome> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-bench-sig-'));
    try {
      const key = join(dir, 'key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench@berth', '-f', key]);
      const manifest = join(dir, 'web.yaml');
      writeFileSync(manifest, pod('web', ''));
      execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', key, manifest], { stdio: ['ignore', 'ignore', 'pipe'] });
      const signers = parseAllowedSigners(`bench@berth ${readFileSync(`${key}.pub`, 'utf8')}`, join(dir, 'allowed'), SIGNATURE_NAMESPACE);
      const content = readFileSync(manifest);
      const armored = readFileSync(`${manifest}.sig`, 'utf8');
      for (let i = 0; i < 200; i++) verifySignature(content, armored, SIGNATURE_NAMESPACE, signers); // warm-up
      const ms: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const t = performance.now();
        verifySignature(content, armored, SIGNATURE_NAMESPACE, signers);
        ms.push(performance.now() - t);
      }
      return {
        checks: [check('sigverify: per manifest, median', median(ms), 'ms', 1), check('  sigverify: p99', percentile(ms, 99), 'ms')],
        breakdown: [],
        raw: { iterations: ms.length, medianMs: median(ms), p99Ms: percentile(ms, 99) },
      };
    } finally {
      discardLater(dir);
    }
  },
};

export const parseBenchmarks: Benchmark[] = [nested, bigManifest, sigVerify];
