// usageNanoCores from cumulative CPU counters, as cAdvisor derives it: the difference between two
// samples over the time between them. A rate over a few milliseconds is noise, so a sample taken
// soon after the previous one reports the last rate instead of starting a new window.

/** The shortest window a rate is computed over. */
export const MIN_WINDOW_MS = 1000;

interface Point {
  atMs: number;
  cpuNs: number;
}

interface Track {
  last: Point;
  rate?: number;
}

export class CpuRates {
  private readonly tracks = new Map<string, Track>();

  /** Records a cumulative reading; returns the rate in nanocores once there is a window to compute it over. */
  observe(key: string, atMs: number, cpuNs: number): number | undefined {
    const t = this.tracks.get(key);
    if (!t || cpuNs < t.last.cpuNs) {
      // First sight, or a counter that went back (a new container attempt under the same key).
      this.tracks.set(key, { last: { atMs, cpuNs } });
      return undefined;
    }
    const dt = atMs - t.last.atMs;
    if (dt < MIN_WINDOW_MS) return t.rate;
    t.rate = Math.round(((cpuNs - t.last.cpuNs) / (dt * 1e6)) * 1e9);
    t.last = { atMs, cpuNs };
    return t.rate;
  }

  /** Forgets every key not in `live` (containers that are gone). */
  retain(live: Set<string>): void {
    for (const k of this.tracks.keys()) if (!live.has(k)) this.tracks.delete(k);
  }

  size(): number {
    return this.tracks.size;
  }
}
