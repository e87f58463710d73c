// Log windows on a big CRI log file (200 MB, ~2 million lines): --tail and --since must read from
// the file's end or bisect it, not read it whole, so their cost does not grow with the log. The
// whole-file read of the same file is printed beside them as the reference.
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { streamCriLog, type LogReadOptions } from '../src/server/cri-log.js';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { round, summarize } from './lib/stats.js';

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
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const logBenchmarks: Benchmark[] = [logWindows];
