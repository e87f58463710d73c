// Log windows on a big CRI log file (200 MB, ~2 million lines): --tail and --since must read from
// the file's end or bisect it, not read it whole, so their cost does not grow with the log. The
// whole-file read of the same file is printed beside them as the reference.
import { mkdtempSync, createWriteStream, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { streamCriLog, type LogReadOptions } from '../src/server/cri-log.js';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { round, summarize, percentile } from './lib/stats.js';
import { createEnv, NODE_NAME } from './lib/berth.js';
import { clockTicksPerSecond, cpuTicks, sleep, statusKb } from './lib/proc.js';
import { discardLater } from './lib/scratch.js';

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

const LINES = 2_000_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

async function writeBigLog(path: string): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  for (let i = 0; i < LINES; i++) {
    const line = `${new Date(T0 + i * 10).toISOString().replace('Z', '000000Z')} stdout F request ${i} served in 3 ms with status 200 from 10.0.0.${i % 250} ok\n`;
    bytes += line.length;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return bytes;
}

async function timeRead(path: string, o: Partial<LogReadOptions>, iterations: number): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < iterations; i++) {
    bytes = 0;
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((bytes += c.length), cb()) });
    const t = performance.now();
    await streamCriLog(path, sink, { timestamps: false, follow: false, stillWriting: () => false, aborted: () => false, ...o });
    ms.push(performance.now() - t);
  }
  return { ms, bytes };
}

const logWindows: Benchmark = {
  id: 'log-windows',
  title: `log windows on a ${LINES / 1e6} M-line CRI log`,
  async run(): Promise<Outcome> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-bench-logs-'));
    try {
      const path = join(dir, '0.log');
      const size = await writeBigLog(path);
      const tail = await timeRead(path, { tailLines: 10 }, 20);
      const since = await timeRead(path, { sinceNs: BigInt(T0 + (LINES - 100) * 10) * 1_000_000n }, 20);
      const limit = await timeRead(path, { limitBytes: 1000 }, 20);
      const whole = await timeRead(path, {}, 2);
      const st = summarize(tail.ms);
      const ss = summarize(since.ms);
      return {
        checks: [
          check('log-windows: --tail=10 on the big log, median', st.median, 'ms', 20),
          check('log-windows: --since (last 100 lines), median', ss.median, 'ms', 20),
          check('  log-windows: --limit-bytes=1000, median', summarize(limit.ms).median, 'ms'),
          check(`  log-windows: whole log (${(size / 1024 / 1024).toFixed(0)} MB), median`, summarize(whole.ms).median, 'ms'),
        ],
        breakdown: [],
        raw: { size, tail: { ...st, bytes: tail.bytes }, since: { ...ss, bytes: since.bytes }, wholeMs: whole.ms.map(round) },
      };
    } finally {
      discardLater(dir);
    }
  },
};

// ---- logs100mb: a container printing as fast as it can --------------------------------------------

const FLOOD_SECONDS = 10;
const MAX_SIZE = 10 * 1024 * 1024;
const MAX_FILES = 5;

/** Bytes of every file under `dir` (the pod log folder), recursively. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    try {
      total += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
    } catch {
      // Rotated away between the listing and the stat.
    }
  }
  return total;
}

const logs100mb: Benchmark = {
  id: 'logs100mb',
  title: `a container printing as fast as it can for ${FLOOD_SECONDS} s (process runtime, --container-log-max-size=10Mi, 5 files)`,
  async run(): Promise<Outcome> {
    const env = createEnv('logs100mb');
    try {
      const berth = await env.startBerth([`--container-log-max-size=${MAX_SIZE}`, `--container-log-max-files=${MAX_FILES}`, '--serve-api=false']);
      const line = 'x'.repeat(100);
      env.writeManifest('flood', JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'flood' },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['yes', line] }] },
      }));
      const deadline = Date.now() + 60_000;
      while (!(await berth.pods()).items.some((p) => p.metadata?.name === `flood-${NODE_NAME}` && p.status?.containerStatuses?.[0]?.state?.running)) {
        if (Date.now() > deadline) throw new Error('logs100mb: the flood pod did not start within 60 s');
        await sleep(100);
      }
      const hz = clockTicksPerSecond();
      const cpu0 = cpuTicks(berth.pid);
      const t0 = performance.now();
      let maxDisk = 0;
      let maxRss = 0;
      const health: number[] = [];
      while (performance.now() - t0 < FLOOD_SECONDS * 1000) {
        maxDisk = Math.max(maxDisk, bytesUnder(env.podLogs));
        maxRss = Math.max(maxRss, statusKb(berth.pid, 'VmRSS') * 1024);
        const h = performance.now();
        await berth.healthz();
        health.push(performance.now() - h);
        await sleep(100);
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpu = ((cpuTicks(berth.pid) - cpu0) / hz / seconds) * 100;
      // What the container got written: the rotated names (one per rotation) times the size, plus the live file.
      const files = readdirSync(env.podLogs, { recursive: true }) as string[];
      const limit = MAX_SIZE * MAX_FILES;
      return {
        checks: [
          check(`logs100mb: log disk used, max over ${FLOOD_SECONDS} s (<= max-size * max-files)`, maxDisk / 1024 / 1024, 'MB', limit / 1024 / 1024),
          check('logs100mb: agent RSS, max', maxRss / 1024 / 1024, 'MB', 150),
          check('logs100mb: agent CPU while the container floods', cpu, '%', 50),
          check('logs100mb: /healthz p99 meanwhile', percentile(health, 99), 'ms', 100),
        ],
        breakdown: [],
        raw: { maxDiskBytes: maxDisk, maxRssBytes: maxRss, cpuPercent: round(cpu), healthMs: health.map((x) => round(x, 2)), files },
      };
    } finally {
      await env.cleanup();
    }
  },
};

export const logBenchmarks: Benchmark[] = [logWindows, logs100mb];
