// The dashboard's small parts without a node: which origins count as the
// node's own (and that a DNS-rebinding origin does not), the p99 read off
// latency buckets, the status frame, and the bounded ring of elections.

import { describe, expect, it } from 'vitest';
import { ELECTIONS_RECENT_MAX, NodeSampler, p99Of } from '../../runtime-node/dashboard/node-sampler.js';
import { SelfOriginPolicy } from '../../runtime-node/dashboard/self-origin-policy.js';
import { parseStatusFrame, STATUS_FRAME_CHARS_MAX, statusPushFrame } from '../../runtime-node/dashboard/status-frame.js';
import { LATENCY_BUCKETS_S, RequestMeter } from '../../runtime-node/metrics/request-meter.js';

describe('SelfOriginPolicy', () => {
  it('allows the node\'s own loopback origins on its port, and nothing else not listed', () => {
    const policy = new SelfOriginPolicy(['https://app.example.com']);
    expect(policy.judge('http://127.0.0.1:7700')).toBe('forbidden'); // before the port is known
    policy.setOwnAddresses('http', ['127.0.0.1', '127.0.0.1'], 7700);
    for (const own of ['http://127.0.0.1:7700', 'http://localhost:7700', 'http://[::1]:7700', 'HTTP://LOCALHOST:7700']) {
      expect(policy.judge(own), own).toBe('allowed');
    }
    // DNS rebinding: the attacker's host name resolving to the node is not one of its addresses.
    for (const other of ['http://rebind.attacker.example:7700', 'http://127.0.0.1:7701', 'https://127.0.0.1:7700', 'null']) {
      expect(policy.judge(other), other).toBe('forbidden');
    }
    expect(policy.judge('https://app.example.com')).toBe('allowed');
    expect(policy.judge('')).toBe('none');
  });

  it('"every interface" names no origin; an advertised host does', () => {
    const policy = new SelfOriginPolicy([]);
    policy.setOwnAddresses('https', ['0.0.0.0', '10.0.0.5'], 443);
    expect(policy.judge('https://10.0.0.5')).toBe('allowed');
    expect(policy.judge('https://0.0.0.0')).toBe('forbidden');
    expect(policy.judge('https://localhost')).toBe('forbidden');
  });
});

describe('p99Of', () => {
  it('is the bound of the bucket holding the 99th percentile, null without requests, beyond past the last', () => {
    const counts = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
    expect(p99Of(counts)).toEqual({ p99Ms: null, p99Beyond: false });
    counts[0] = 98; counts[5] = 2; // 100 requests: the 99th is in bucket 5 (1 ms)
    expect(p99Of(counts)).toEqual({ p99Ms: 1, p99Beyond: false });
    counts[5] = 0; counts[0] = 99; counts[LATENCY_BUCKETS_S.length] = 1; // the 99th is in bucket 0
    expect(p99Of(counts)).toEqual({ p99Ms: 0.025, p99Beyond: false });
    counts[0] = 0;
    expect(p99Of(counts)).toEqual({ p99Ms: 5000, p99Beyond: true });
  });
});

describe('parseStatusFrame', () => {
  it('reads the id of a status frame and nothing else', () => {
    expect(parseStatusFrame('{"op":"status","id":3}')).toEqual({ id: 3 });
    expect(parseStatusFrame('{"op":"status","id":{"x":1}}')).toEqual({ id: null });
    expect(parseStatusFrame('{"op":"get","key":"k"}')).toBeNull();
    expect(parseStatusFrame('not json')).toBeNull();
    expect(parseStatusFrame(`{"op":"status","pad":"${'x'.repeat(STATUS_FRAME_CHARS_MAX)}"}`)).toBeNull();
  });

  it('a push is the status under the subscription id', () => {
    const status = { nodeId: 1, nodes: [{ id: 1, http: 'a"b' }] };
    expect(JSON.parse(statusPushFrame('s"1', status))).toEqual({ id: 's"1', ok: true, status });
    expect(JSON.parse(statusPushFrame(null, status))).toEqual({ id: null, ok: true, status });
  });
});

describe('NodeSampler', () => {
  it('counts requests per second and keeps at most ELECTIONS_RECENT_MAX leader changes, newest first', () => {
    let leader = 0;
    let term = 0;
    const sampler = new NodeSampler(new RequestMeter(), { groups: () => [0], leaderAndTerm: () => ({ leader, term }) });
    try {
      sampler.sample();
      expect(sampler.recentElections()).toEqual([]); // no leader yet: nothing recorded
      for (let t = 1; t <= ELECTIONS_RECENT_MAX + 5; t++) {
        leader = (t % 3) + 1;
        term = t;
        sampler.sample();
        sampler.sample(); // unchanged: not recorded twice
      }
      const seen = sampler.recentElections();
      expect(seen).toHaveLength(ELECTIONS_RECENT_MAX);
      expect(seen[0]).toMatchObject({ group: 0, term: ELECTIONS_RECENT_MAX + 5 });
      expect(seen.at(-1)).toMatchObject({ term: 6 });
      expect(sampler.requestRates()).toMatchObject({ opsPerSecond: 0, p99Ms: null, requestsTotal: 0 });
    } finally {
      sampler.close();
    }
  });
});
