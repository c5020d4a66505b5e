// The numbers of one node that need a history to exist: requests per second
// and the 99th-percentile latency over the last second (differences of the
// request meter's counters between two samples), and a small ring of the
// leader changes this node saw in the groups it hosts (the dashboard's
// "recent elections"). It samples on a timer whether or not anyone watches,
// so an election is remembered even when no page was open.

import { LATENCY_BUCKETS_S, type RequestMeter } from '../metrics/request-meter.js';

/** How often the sampler runs: the dashboard's refresh period, and the window its ops/s and p99 cover. */
export const DASHBOARD_SAMPLE_MS = 1_000;
/**
 * Leader changes a node remembers: enough to show a burst of elections
 * (a node restart moves every group it led), small enough that the status
 * message stays a few kilobytes whatever the cluster went through.
 */
export const ELECTIONS_RECENT_MAX = 32;

/** One leader change seen by this node: `group` got `leader` (a node id) in `term`. */
export interface ElectionSeen {
  atMs: number;
  group: number;
  leader: number;
  term: number;
}

/** What the sampler reads of the hosted groups: the worker-published status table. */
export interface LeaderSource {
  groups(): readonly number[];
  leaderAndTerm(group: number): { leader: number; term: number };
}

export interface RequestRates {
  /** Requests answered by this node's doors per second, over the last sample window. */
  opsPerSecond: number;
  /** Upper bound (ms) of the latency bucket holding the 99th percentile of the last window; null: no requests. */
  p99Ms: number | null;
  /** The 99th percentile was beyond the largest bucket (LATENCY_BUCKETS_S). */
  p99Beyond: boolean;
  /** Requests answered since the node started. */
  requestsTotal: number;
}

export class NodeSampler {
  private readonly bucketSlots: number;
  private lastBuckets: Float64Array;
  private lastTotal: number;
  private lastAtMs: number;
  private rates: RequestRates = { opsPerSecond: 0, p99Ms: null, p99Beyond: false, requestsTotal: 0 };
  private readonly elections: ElectionSeen[] = [];
  private readonly lastLeader = new Map<number, string>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly meter: RequestMeter, private readonly leaders: LeaderSource | null) {
    this.bucketSlots = LATENCY_BUCKETS_S.length + 1;
    this.lastBuckets = this.bucketTotals();
    this.lastTotal = meter.totalRequests();
    this.lastAtMs = performance.now();
    this.timer = setInterval(() => this.sample(), DASHBOARD_SAMPLE_MS);
    this.timer.unref();
  }

  /** Rates of the last complete window. */
  requestRates(): RequestRates {
    return { ...this.rates, requestsTotal: this.meter.totalRequests() };
  }

  /**
   * Leader changes seen, newest first, up to now: a status read between two
   * timer samples names every leader the node knows, and its elections must
   * list them too (the dashboard showed leaders and "none seen" at once).
   */
  recentElections(): ElectionSeen[] {
    this.sampleLeaders();
    return [...this.elections].reverse();
  }

  /** Take one sample now (the timer calls it; tests may too). */
  sample(): void {
    const nowMs = performance.now();
    const buckets = this.bucketTotals();
    const total = this.meter.totalRequests();
    const windowS = Math.max(nowMs - this.lastAtMs, 1) / 1000;
    const deltas = buckets.map((n, i) => n - this.lastBuckets[i]!);
    this.rates = { opsPerSecond: Math.round((total - this.lastTotal) / windowS), ...p99Of(deltas), requestsTotal: total };
    this.lastBuckets = buckets;
    this.lastTotal = total;
    this.lastAtMs = nowMs;
    this.sampleLeaders();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sampleLeaders(): void {
    if (!this.leaders) return;
    for (const group of this.leaders.groups()) {
      const { leader, term } = this.leaders.leaderAndTerm(group);
      if (leader === 0) continue; // no leader known yet: the change is recorded once one is
      const key = `${leader}@${term}`;
      if (this.lastLeader.get(group) === key) continue;
      this.lastLeader.set(group, key);
      this.elections.push({ atMs: Date.now(), group, leader, term });
      if (this.elections.length > ELECTIONS_RECENT_MAX) this.elections.shift();
    }
  }

  /** Latency bucket counts summed over every door and op. */
  private bucketTotals(): Float64Array {
    const all = this.meter.latencyBuckets;
    const out = new Float64Array(this.bucketSlots);
    for (let i = 0; i < all.length; i++) out[i % this.bucketSlots]! += all[i]!;
    return out;
  }
}

/** The bucket bound holding the 99th percentile of `counts` (per-bucket, not cumulative; +Inf last). */
export function p99Of(counts: ArrayLike<number>): { p99Ms: number | null; p99Beyond: boolean } {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return { p99Ms: null, p99Beyond: false };
  const rank = Math.ceil(total * 0.99);
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return { p99Ms: LATENCY_BUCKETS_S[i]! * 1000, p99Beyond: false };
  }
  return { p99Ms: LATENCY_BUCKETS_S[LATENCY_BUCKETS_S.length - 1]! * 1000, p99Beyond: true };
}
