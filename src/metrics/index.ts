// A small Prometheus text-format registry. Gauges that describe the node's pods are computed when
// /metrics is scraped (collectors), so the hot path only ever touches the sync histogram.

type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  collect: () => Sample[];
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }

  samples(name: string): string[] {
    const lines = this.buckets.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`);
    lines.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return lines;
  }
}

export class MetricsRegistry {
  private readonly families: Family[] = [];
  private readonly histograms: { name: string; help: string; h: Histogram }[] = [];

  gauge(name: string, help: string, collect: () => Sample[]): void {
    this.families.push({ name, help, type: 'gauge', collect });
  }

  counter(name: string, help: string, collect: () => Sample[]): void {
    this.families.push({ name, help, type: 'counter', collect });
  }

  histogram(name: string, help: string, buckets: number[]): Histogram {
    const h = new Histogram(buckets);
    this.histograms.push({ name, help, h });
    return h;
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.families) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.collect()) out.push(`${f.name}${formatLabels(s.labels)} ${s.value}`);
    }
    for (const { name, help, h } of this.histograms) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`, ...h.samples(name));
    }
    return out.join('\n') + '\n';
  }
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
