// Steady state for a long time (issue 10, "bounded"): churn of 50 manifest changes every second
// (add, remove, edit among 100 names) and one container killed every 3 s, while the agent's RSS is
// sampled from /proc. Passes when the RSS at the end is within 10 % of the RSS after the first
// minute. `--soak-minutes=N` (default 30; CI runs 3); `--soak-no-api` runs the agent without its
// embedded API (the API's bounded stores, 10 000 changes of watch history and 10 000 events, fill
// during the first minutes of this churn: without it the agent's own growth shows alone).
import { readdirSync } from 'node:fs';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { createEnv, markerPid } from './lib/berth.js';
import { processAlive, sleep, statusKb } from './lib/proc.js';
import { median, round } from './lib/stats.js';

const MINUTES = Number(process.argv.find((a) => a.startsWith('--soak-minutes='))?.slice('--soak-minutes='.length) ?? 30);
const WITH_API = !process.argv.includes('--soak-no-api');
const NAMES = 100;
const CHANGES_PER_SECOND = 50;
const KILL_EVERY_MS = 3_000;
const SAMPLE_EVERY_MS = 5_000;

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

/** A pod that marks each start (MARKERS/NAME.g<generation>.<pid>) and sleeps; the generation makes an edit a new pod. */
function churnPod(name: string, generation: number, markerDir: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { generation: String(generation) } },
    spec: {
      terminationGracePeriodSeconds: 2,
      restartPolicy: 'Always',
      containers: [{ name: 'c', image: 'x', command: ['sh', '-c', `touch '${markerDir}/${name}.g${generation}'.$$$$; exec sleep 3600`] }],
    },
  });
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

const soak: Benchmark = {
  id: 'soak',
  title: `${MINUTES} min churn (${CHANGES_PER_SECOND} manifest changes/s, a container killed every 3 s) -> RSS steady`,
  async run(): Promise<Outcome> {
    const env = createEnv('soak');
    try {
      const berth = await env.startBerth(WITH_API ? ['--api-port=0'] : ['--serve-api=false']);
      const durationMs = MINUTES * 60_000;
      // After the first minute (or the first third of a short run) the agent has warmed up.
      const baselineAtMs = Math.min(60_000, durationMs / 3);
      const present = new Map<string, number>(); // name -> generation
      let generation = 0;
      let changes = 0;
      let kills = 0;
      const samples: Array<{ atMs: number; rssMb: number; fds: number }> = [];
      const t0 = performance.now();
      let nextSample = 0;
      let nextKill = KILL_EVERY_MS;
      for (let second = 0; performance.now() - t0 < durationMs; second++) {
        const tick = performance.now();
        for (let i = 0; i < CHANGES_PER_SECOND; i++) {
          const name = `soak-${Math.floor(Math.random() * NAMES)}`;
          const gen = present.get(name);
          const r = Math.random();
          if (gen === undefined) {
            present.set(name, ++generation);
            env.writeManifest(name, churnPod(name, generation, env.markers.dir));
          } else if (r < 0.5) {
            present.delete(name);
            env.removeManifest(name);
          } else {
            present.set(name, ++generation);
            env.writeManifest(name, churnPod(name, generation, env.markers.dir));
          }
          changes++;
        }
        const elapsed = performance.now() - t0;
        if (elapsed >= nextKill) {
          nextKill += KILL_EVERY_MS;
          // The newest start of a pod still present: kill its container (the agent restarts it).
          const candidates = [...env.markers.seen.keys()].filter((m) => {
            const dot = m.indexOf('.g');
            return dot > 0 && present.get(m.slice(0, dot)) === Number(m.slice(dot + 2, m.lastIndexOf('.')));
          });
          const victim = candidates[Math.floor(Math.random() * candidates.length)];
          if (victim) {
            const pid = markerPid(victim);
            if (processAlive(pid)) {
              try {
                process.kill(pid, 'SIGKILL');
                kills++;
              } catch {
                /* it just exited */
              }
            }
          }
        }
        if (elapsed >= nextSample) {
          nextSample += SAMPLE_EVERY_MS;
          samples.push({ atMs: Math.round(elapsed), rssMb: statusKb(berth.pid, 'VmRSS') / 1024, fds: openFds(berth.pid) });
        }
        await Promise.race([sleep(Math.max(0, 1_000 - (performance.now() - tick))), berth.exited]);
      }
      // The end: the median of the last minute's samples (or last third), so one GC does not decide.
      const endFrom = durationMs - Math.min(60_000, durationMs / 3);
      const baseline = median(samples.filter((s) => s.atMs >= baselineAtMs - SAMPLE_EVERY_MS && s.atMs <= baselineAtMs + SAMPLE_EVERY_MS).map((s) => s.rssMb));
      const end = median(samples.filter((s) => s.atMs >= endFrom).map((s) => s.rssMb));
      const growth = ((end - baseline) / baseline) * 100;
      // A leak keeps growing; a bounded cache filling up levels off: the second half tells them apart.
      const half = median(samples.filter((s) => s.atMs >= durationMs / 2 - SAMPLE_EVERY_MS && s.atMs <= durationMs / 2 + SAMPLE_EVERY_MS).map((s) => s.rssMb));
      const fdsAtBaseline = samples.find((s) => s.atMs >= baselineAtMs)?.fds ?? Number.NaN;
      const fdsAtEnd = samples[samples.length - 1]?.fds ?? Number.NaN;
      return {
        checks: [
          check(`soak ${MINUTES} min${WITH_API ? '' : ' (no API)'}: RSS growth after the first minute`, growth, '%', 10),
          check(`  soak: RSS growth over the second half`, ((end - half) / half) * 100, '%'),
          check(`  soak: RSS after the first minute`, baseline, 'MB'),
          check(`  soak: RSS at the end`, end, 'MB'),
          check(`  soak: peak RSS`, Math.max(...samples.map((s) => s.rssMb)), 'MB'),
          check(`  soak: open fds after the first minute`, fdsAtBaseline, 'count'),
          check(`  soak: open fds at the end`, fdsAtEnd, 'count'),
          check(`  soak: manifest changes made`, changes, 'count'),
          check(`  soak: containers killed`, kills, 'count'),
        ],
        breakdown: [],
        raw: { minutes: MINUTES, changes, kills, samples },
      };
    } finally {
      await env.cleanup();
    }
  },
};

export const soakBenchmarks: Benchmark[] = [soak];
