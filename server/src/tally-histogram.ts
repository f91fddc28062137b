// A Prometheus histogram cheap enough for every message: a series is a few numbers in an array,
// observe() is a bucket search and two additions. (prom-client's Histogram.observe builds label
// objects and hashes them on every call: 1.5-6 µs, more than the rest of a message's metrics.)
// A prom-client Registry renders it like its own metrics: it asks any registered metric for get().
import type { Metric, Registry } from 'prom-client';

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class HistogramSeries {
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class TallyHistogram<L extends string = string> {
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values (made once, then reused: keep a reference on hot paths). */
  labels(values: Record<L, string>): HistogramSeries {
    const key = this.labelNames.map((l) => values[l]).join('\u0000');
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = new HistogramSeries({ ...values }, this.bounds)));
    return series;
  }

  /** What a Registry renders: cumulative buckets, then _sum and _count, per series. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      s.counts.forEach((n, i) => {
        cumulative += n;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
