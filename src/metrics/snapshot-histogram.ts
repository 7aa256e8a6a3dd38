import { Histogram, type MetricType } from 'prom-client';

/** One labelled series of a histogram whose counts are kept elsewhere. */
export interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Cumulative counts, one per bound, in the order of `buckets`. */
  readonly cumulativeCounts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

type HistogramExport = Awaited<ReturnType<Histogram['get']>>;

// prom-client's typings declare `type` as a numeric enum; the registry writes the value as the
// word after `# TYPE`, which must be `histogram`.
const HISTOGRAM_TYPE = 'histogram' as unknown as MetricType;

/**
 * A prom-client histogram that exports counts read at scrape time instead of observed in this
 * process: prom-client can only `observe()`, which cannot reproduce another process's buckets
 * and sum. The registry asks a metric for `getForPromString()` (text) or `get()` (JSON); both
 * are answered from `read()`.
 */
export class SnapshotHistogram extends Histogram {
  private readonly bounds: readonly number[];
  private readonly read: () => Promise<readonly HistogramSeries[]>;
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(options: { readonly name: string; readonly help: string; readonly buckets: readonly number[]; readonly labelNames: readonly string[]; readonly read: () => Promise<readonly HistogramSeries[]> }) {
    // `registers: []`: the caller registers it in its own registry, never the global one.
    super({ name: options.name, help: options.help, buckets: [...options.buckets], labelNames: options.labelNames, registers: [] });
    this.bounds = options.buckets;
    this.read = options.read;
    this.metricName = options.name;
    this.metricHelp = options.help;
  }

  override async get(): Promise<HistogramExport> {
    return this.export();
  }

  async getForPromString(): Promise<HistogramExport> {
    return this.export();
  }

  private async export(): Promise<HistogramExport> {
    const values: HistogramExport['values'] = [];
    for (const series of await this.read()) {
      this.bounds.forEach((bound, index) => {
        values.push({ metricName: `${this.metricName}_bucket`, labels: { ...series.labels, le: bound }, value: series.cumulativeCounts[index] ?? 0 });
      });
      values.push({ metricName: `${this.metricName}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.metricName}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.metricName}_count`, labels: { ...series.labels }, value: series.count });
    }
    return { name: this.metricName, help: this.metricHelp, type: HISTOGRAM_TYPE, aggregator: 'sum', collect: () => undefined, values };
  }
}
