// `npm run bench`: runs every benchmark (each with its own agent and temp folders), prints one
// table with targets and a pass/fail mark, and writes all raw numbers to bench/results/latest.json
// plus a dated copy. Options: --only=id[,id] (start, restart, burst100, burst500, resources,
// remove, mirror-recreate, mirror-visible, api-list, api-watch, api-memory, store-events, store-restart,
// store-memory, cri-start, cri-burst10, probes-cpu, probes-react, log-windows, scale2000, remove2000,
// bigmanifest, nested, sigverify, soak, exec-latency, pf-throughput, exec-20; --scale-pods=N and
// --soak-minutes=N shorten the scale and soak ones) and --strict (exit 1 when a target is missed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { apiBenchmarks, cleanupApiChildren } from './api.js';
import { cleanupContainers, containerBenchmarks } from './containers.js';
import { logBenchmarks } from './logs.js';
import { benchmarks as coreBenchmarks, type Check, type Outcome } from './core.js';
import { cleanupAll as cleanupBerths, ROOT } from './lib/berth.js';
import { formatTable } from './lib/table.js';
import { cleanupStoreBench, storeBenchmarks } from './store.js';
import { probeBenchmarks } from './probes.js';
import { parseBenchmarks } from './parse.js';
import { removeDiscarded } from './lib/scratch.js';
import { scaleBenchmarks } from './scale.js';
import { soakBenchmarks } from './soak.js';
import { streamingBenchmarks } from './streaming.js';

interface Result extends Partial<Outcome> {
  id: string;
  title: string;
  durationMs: number;
  error?: string;
}

const benchmarks = [...coreBenchmarks, ...apiBenchmarks, ...storeBenchmarks, ...containerBenchmarks, ...probeBenchmarks, ...logBenchmarks, ...scaleBenchmarks, ...parseBenchmarks, ...soakBenchmarks, ...streamingBenchmarks];
const cleanupAll = () =>
  Promise.allSettled([cleanupStoreBench(), cleanupBerths(), cleanupApiChildren(), cleanupContainers()]).finally(removeDiscarded);

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
const strict = args.includes('--strict');
const unknown = only?.filter((id) => !benchmarks.some((b) => b.id === id)) ?? [];
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} in --only; known: ${benchmarks.map((b) => b.id).join(', ')}`);
  process.exit(2);
}

// Interrupted (Ctrl-C): still remove the agents, containers and temp folders we started.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\nbench: ${sig}: cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

function fmt(value: number, unit: Check['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ms`;
    case 's':
      return `${value.toFixed(2)} s`;
    case 'MB':
      return `${value.toFixed(1)} MB`;
    case '%':
      return `${value.toFixed(2)} %`;
    case 'count':
      return String(Math.round(value));
  }
}

const started = new Date();
const results: Result[] = [];
for (const b of benchmarks.filter((x) => !only || only.includes(x.id))) {
  process.stderr.write(`bench: ${b.id}: ${b.title} ... `);
  const t = performance.now();
  try {
    const outcome = await b.run();
    results.push({ id: b.id, title: b.title, durationMs: Math.round(performance.now() - t), ...outcome });
    process.stderr.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.push({ id: b.id, title: b.title, durationMs: Math.round(performance.now() - t), error: message });
    process.stderr.write(`FAILED\n${message}\n`);
  }
}
await cleanupAll();

const rows: string[][] = [];
for (const r of results) {
  if (r.error) {
    rows.push([`${r.id}: ${r.title}`, `ERROR: ${r.error.split('\n')[0]}`, '', 'FAIL']);
    continue;
  }
  for (const c of r.checks ?? []) {
    rows.push([c.label, fmt(c.value, c.unit), c.target === undefined ? '' : `<= ${fmt(c.target, c.unit)}`, c.ok === undefined ? '' : c.ok ? 'pass' : 'FAIL']);
  }
}
const breakdown = results.flatMap((r) => r.breakdown ?? []).map((b) => [b.label, fmt(b.medianMs, 'ms')]);

const checks = results.flatMap((r) => r.checks ?? []).filter((c) => c.ok !== undefined);
const failed = checks.filter((c) => !c.ok).length + results.filter((r) => r.error).length;
console.log(`\nBerth benchmarks, ${started.toISOString()}, ${cpus().length} CPUs, Node ${process.version}, Linux ${release()}\n`);
console.log(formatTable(['benchmark', 'result', 'target', 'ok'], rows));
if (breakdown.length) {
  console.log(`\nWhere the time goes (medians; agent benchmarks from berth's own log lines, whose times have 1 ms resolution; mirror benchmarks from API watch events):\n`);
  console.log(formatTable(['segment', 'median'], breakdown));
}
console.log(`\n${checks.length - checks.filter((c) => !c.ok).length} of ${checks.length} targets met${results.some((r) => r.error) ? `; ${results.filter((r) => r.error).length} benchmark(s) failed to run` : ''}.`);

const report = {
  startedAt: started.toISOString(),
  finishedAt: new Date().toISOString(),
  host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, kernel: release() },
  allTargetsMet: failed === 0,
  results,
};
const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const json = `${JSON.stringify(report, null, 2)}\n`;
const stamp = started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
writeFileSync(join(dir, 'latest.json'), json);
writeFileSync(join(dir, `${stamp}.json`), json);
console.log(`Raw numbers: bench/results/latest.json and bench/results/${stamp}.json`);

process.exitCode = results.some((r) => r.error) || (strict && failed > 0) ? 1 : 0;
