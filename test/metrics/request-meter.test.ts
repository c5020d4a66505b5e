// RequestMeter's bucketing at the bucket edges, and the op numbering the
// request path relies on.
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../../core/protocol/ops.js';
import { OP_COUNT, opIndex } from '../../runtime-node/metrics/op-index.js';
import { LATENCY_BUCKETS_S, RequestMeter } from '../../runtime-node/metrics/request-meter.js';

describe('RequestMeter', () => {
  it('puts a latency in the first bucket whose bound it does not exceed (le), past the last in +Inf', () => {
    const meter = new RequestMeter();
    const ok = { ok: true } as const;
    meter.record(0, ok, 0.025); // exactly 25 µs: le=0.000025
    meter.record(0, ok, 0.026); // just over: le=0.00005
    meter.record(0, ok, 6_000); // 6 s: +Inf only
    const cumulative = meter.cumulativeBuckets(0);
    expect(cumulative).toHaveLength(LATENCY_BUCKETS_S.length + 1);
    expect(cumulative[0]).toBe(1);
    expect(cumulative[1]).toBe(2);
    expect(cumulative[LATENCY_BUCKETS_S.length - 1]).toBe(2);
    expect(cumulative[LATENCY_BUCKETS_S.length]).toBe(3);
    expect(meter.latencySumS[0]).toBeCloseTo(6.000_051, 9);
    expect(meter.totalRequests()).toBe(3);
  });

  it('numbers ops as OP_NAMES does', () => {
    expect(OP_COUNT).toBe(OP_NAMES.length);
    OP_NAMES.forEach((op, i) => expect(opIndex(op)).toBe(i));
  });
});
