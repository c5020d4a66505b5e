// Sorted-set commands through the Shard where a model run does not reach:
// random picks and scans of a large set, a compact set under a small value
// limit, replies too large for a frame, and expiry kept across conversion.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { ZDriver } from './zset-driver.js';

function loaded(d: ZDriver, key: string, n: number): void {
  for (let from = 0; from < n; from += 100) {
    const args: (string | number)[] = [];
    for (let i = from; i < Math.min(n, from + 100); i++) args.push(i, `m${i}`);
    expect(d.run('zadd', key, ...args)).toBe(BigInt(Math.min(100, n - from)));
  }
}

describe('sorted-set commands on a large set', () => {
  it('ZRANDMEMBER: distinct picks for a positive count, repeats allowed for a negative one, scores matching', () => {
    const d = new ZDriver();
    loaded(d, 'z', 1000);
    const distinct = d.run('zrandmember', 'z', 300, 'withscores') as (string | number)[];
    expect(distinct).toHaveLength(600);
    const names = distinct.filter((_, i) => i % 2 === 0) as string[];
    expect(new Set(names).size).toBe(300);
    for (let i = 0; i < distinct.length; i += 2) expect(distinct[i + 1]).toBe(Number((distinct[i] as string).slice(1)));
    const repeated = d.run('zrandmember', 'z', -3000) as string[];
    expect(repeated).toHaveLength(3000);
    expect(new Set(repeated).size).toBeLessThan(1000);
    expect((d.run('zrandmember', 'z', 5000) as string[]).length).toBe(1000);
    expect(typeof d.run('zrandmember', 'z')).toBe('string');
  });

  it('ZSCAN: a cursor loop returns every member with its score, pages bounded by COUNT', () => {
    const d = new ZDriver();
    loaded(d, 'z', 2000);
    const seen = new Map<string, number>();
    let cursor = '0';
    let pages = 0;
    do {
      const [next, items] = d.run('zscan', 'z', cursor, 'count', 100) as [string, string[]];
      expect(items.length / 2).toBeLessThanOrEqual(200);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, Number(items[i + 1]));
      cursor = next;
      pages++;
    } while (cursor !== '0' && pages < 1000);
    expect(cursor).toBe('0');
    expect(seen.size).toBe(2000);
    for (const [m, s] of seen) expect(s).toBe(Number(m.slice(1)));
  });

  it('keeps the key\'s expiry when it converts to the large form', () => {
    const d = new ZDriver();
    d.run('zadd', 'z', 1, 'a');
    d.shard.apply({ index: ++d.index, term: 1, timestampMs: d.nowMs, command: { op: 'expire', key: new TextEncoder().encode('z'), expireAtMs: d.nowMs + 60_000 } });
    d.run('zadd', 'z', ...Array.from({ length: 200 }, (_, i) => [i, `x${i}`]).flat());
    expect(d.shard.read({ op: 'ttl', key: new TextEncoder().encode('z') }, d.nowMs)).toMatchObject({ ok: true, integer: 60_000n });
    expect(d.run('zcard', 'z')).toBe(201n);
  });
});

describe('limits', () => {
  it('a compact set whose bytes would pass a small value limit converts to the large form instead', () => {
    const d = new ZDriver(makeLimits({ keyBytesMax: 256, valueBytesMax: 512, frameBytesMax: 64 * 1024 }));
    const member = 'y'.repeat(60);
    for (let i = 0; i < 20; i++) expect(d.run('zadd', 'z', i, `${member}${i}`)).toBe(1n);
    expect(d.run('zcard', 'z')).toBe(20n);
    expect(d.run('zrange', 'z', 0, 0)).toEqual([`${member}0`]);
    const e = d.restored();
    expect(e.shard.digest()).toBe(d.shard.digest());
    expect(e.run('zpopmax', 'z')).toEqual([`${member}19`, 19]);
  });

  it('a reply over one frame is LIMIT_EXCEEDED, and the set is left as it was', () => {
    const d = new ZDriver(makeLimits({ keyBytesMax: 256, valueBytesMax: 1024, frameBytesMax: 4096 }));
    loaded(d, 'z', 1000);
    for (const cmd of [['zrange', 'z', 0, -1], ['zrangebyscore', 'z', '-inf', '+inf', 'withscores'], ['zpopmin', 'z', 1000],
      ['zrandmember', 'z', -5000], ['zunion', 1, 'z']]) {
      const got = d.run(String(cmd[0]), ...cmd.slice(1)) as { err: string; message: string };
      expect(got.err, cmd.join(' ')).toBe('LIMIT_EXCEEDED');
      expect(got.message).toMatch(/reply would exceed 4096 bytes/);
    }
    expect(d.run('zcard', 'z')).toBe(1000n);
    expect((d.run('zrange', 'z', 0, 9) as string[]).length).toBe(10);
  });
});
