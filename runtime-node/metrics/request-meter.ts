// Counts of requests, errors and latency by door and op, kept in flat typed
// arrays so that recording one costs a few array writes: no label strings,
// no maps. The Prometheus metrics (node-metrics.ts) read these arrays when
// scraped. A "cell" is one (door, op) pair: cell = door * OP_COUNT + op.

import { assert } from '../../core/assert.js';
import { ErrorCode, type ErrorName } from '../../core/errors.js';
import type { Reply } from '../../core/protocol/ops.js';
import { DOORS } from './doors.js';
import { OP_COUNT } from './op-index.js';

/**
 * Upper bounds of the latency buckets, in seconds: from 25 µs (a request that
 * hops the ring and back on an idle node) to 5 s (far past any healthy
 * request; the shutdown drain waits 10 s). Roughly 1-2.5-5 steps.
 */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5,
  0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Finite buckets plus +Inf. */
const BUCKET_SLOTS = LATENCY_BUCKETS_S.length + 1;
const LATENCY_BUCKETS_MS = LATENCY_BUCKETS_S.map((s) => s * 1000);

/** Error numbers are small (1..16): one slot per number keeps lookups to indexing. */
export const ERROR_SLOTS = Math.max(...Object.values(ErrorCode)) + 1;
assert(ERROR_SLOTS <= 64, 'error numbers stay small enough to index arrays');

export const CELL_COUNT = DOORS.length * OP_COUNT;

export class RequestMeter {
  /** Requests answered, per cell. */
  readonly requests = new Float64Array(CELL_COUNT);
  /** Error replies, per cell and error number: index cell * ERROR_SLOTS + number. */
  readonly errors = new Float64Array(CELL_COUNT * ERROR_SLOTS);
  /** Latency bucket counts (not cumulative), per cell: index cell * BUCKET_SLOTS + bucket. */
  readonly latencyBuckets = new Float64Array(CELL_COUNT * BUCKET_SLOTS);
  /** Sum of latencies in seconds, per cell. */
  readonly latencySumS = new Float64Array(CELL_COUNT);

  /** Record one answered request of `cell` that took `elapsedMs`. */
  record(cell: number, reply: Reply, elapsedMs: number): void {
    this.requests[cell]!++;
    if (!reply.ok) this.errors[cell * ERROR_SLOTS + ErrorCode[reply.code]]!++;
    this.latencySumS[cell]! += elapsedMs / 1000;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_MS.length && elapsedMs > LATENCY_BUCKETS_MS[bucket]!) bucket++;
    this.latencyBuckets[cell * BUCKET_SLOTS + bucket]!++;
  }

  /** Cumulative bucket counts of one cell (Prometheus `le` semantics), +Inf last. */
  cumulativeBuckets(cell: number): number[] {
    const out: number[] = new Array<number>(BUCKET_SLOTS);
    let sum = 0;
    for (let b = 0; b < BUCKET_SLOTS; b++) {
      sum += this.latencyBuckets[cell * BUCKET_SLOTS + b]!;
      out[b] = sum;
    }
    return out;
  }

  /** Requests answered at every door. */
  totalRequests(): number {
    let n = 0;
    for (const v of this.requests) n += v;
    return n;
  }
}

/** The error name of slot `number`, or undefined for numbers no error has. */
export function errorNameOfSlot(number: number): ErrorName | undefined {
  for (const [name, n] of Object.entries(ErrorCode) as [ErrorName, number][]) if (n === number) return name;
  return undefined;
}
