// The request latency histogram, served from RequestMeter's arrays. prom-client's
// own Histogram hashes its label set on every observe(); this one is filled
// on the request path by plain array writes and only turned into Prometheus
// series when scraped. It subclasses Histogram so a Registry takes it like
// any other metric, and answers both of the Registry's read paths (get for
// JSON, getForPromString for the text format) from the same arrays.

import { Histogram } from 'prom-client';
import { OP_NAMES } from '../../core/protocol/ops.js';
import { DOORS } from './doors.js';
import { OP_COUNT } from './op-index.js';
import { CELL_COUNT, LATENCY_BUCKETS_S, type RequestMeter } from './request-meter.js';

type Labels = 'door' | 'op';

interface SeriesValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class TableHistogram extends Histogram<Labels> {
  private readonly meter: RequestMeter;
  private readonly seriesName: string;
  private readonly seriesHelp: string;

  constructor(config: { name: string; help: string; meter: RequestMeter }) {
    super({ name: config.name, help: config.help, labelNames: ['door', 'op'], buckets: [...LATENCY_BUCKETS_S], registers: [] });
    this.meter = config.meter;
    this.seriesName = config.name;
    this.seriesHelp = config.help;
  }

  override get(): ReturnType<Histogram<Labels>['get']> {
    // The JSON path (getMetricsAsJSON) takes the same objects; prom-client's types ask for fields it never reads.
    return this.getForPromString() as unknown as ReturnType<Histogram<Labels>['get']>;
  }

  /** The series of every (door, op) that has answered at least one request. */
  getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: SeriesValue[]; aggregator: 'sum' }> {
    const values: SeriesValue[] = [];
    for (let cell = 0; cell < CELL_COUNT; cell++) {
      const count = this.meter.requests[cell]!;
      if (count === 0) continue;
      const door = DOORS[Math.floor(cell / OP_COUNT)]!;
      const op = OP_NAMES[cell % OP_COUNT]!;
      const cumulative = this.meter.cumulativeBuckets(cell);
      cumulative.forEach((n, b) => values.push({
        labels: { door, op, le: b < LATENCY_BUCKETS_S.length ? LATENCY_BUCKETS_S[b]! : '+Inf' },
        value: n,
        metricName: `${this.seriesName}_bucket`,
      }));
      values.push({ labels: { door, op }, value: this.meter.latencySumS[cell]!, metricName: `${this.seriesName}_sum` });
      values.push({ labels: { door, op }, value: count, metricName: `${this.seriesName}_count` });
    }
    return Promise.resolve({ name: this.seriesName, help: this.seriesHelp, type: 'histogram', values, aggregator: 'sum' });
  }
}
