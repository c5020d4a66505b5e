// Readable examples of the shard's documented behaviour; the model-based test
// (shard-model.test.ts) covers the combinations.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { EXPIRY_SWEEP_ENTRIES_PER_STEP } from '../../core/shard/shard.js';
import { LocalShard } from './local-shard.js';
import { b, latin1 } from './bytes-helpers.js';

const LIMITS = makeLimits({ keyBytesMax: 64, valueBytesMax: 1024, frameBytesMax: 4096 });
const T0 = 1_700_000_000_000;

function ok(reply: Reply): OkReply {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.code}: ${reply.message}`);
  return reply;
}

function text(reply: Reply): string {
  return latin1(ok(reply).value!);
}

describe('Shard', () => {
  it('GET/SET/DEL with versions that only grow, also across FLUSH', () => {
    const s = new LocalShard(0, LIMITS);
    expect(s.handle({ op: 'get', key: b('k') }, T0)).toEqual({ ok: true, found: false });
    const v1 = ok(s.handle({ op: 'set', key: b('k'), value: b('a') }, T0)).version!;
    const v2 = ok(s.handle({ op: 'set', key: b('k'), value: b('b') }, T0)).version!;
    expect(v1).toBeGreaterThan(0);
    expect(v2).toBeGreaterThan(v1);
    expect(ok(s.handle({ op: 'get', key: b('k') }, T0))).toMatchObject({ found: true, version: v2 });
    expect(ok(s.handle({ op: 'del', key: b('k') }, T0)).found).toBe(true);
    expect(ok(s.handle({ op: 'del', key: b('k') }, T0)).found).toBe(false);
    ok(s.handle({ op: 'set', key: b('k'), value: b('c') }, T0));
    ok(s.handle({ op: 'flush' }, T0));
    // A CAS holding a version from before the flush must not match a new key.
    const v3 = ok(s.handle({ op: 'set', key: b('k'), value: b('d') }, T0)).version!;
    expect(v3).toBeGreaterThan(v2 + 1);
  });

  it('CAS: expectedVersion must match; 0 means absent; mismatch reports the current version', () => {
    const s = new LocalShard(0, LIMITS);
    const v1 = ok(s.handle({ op: 'set', key: b('k'), value: b('a'), expectedVersion: 0 }, T0)).version!;
    const miss = s.handle({ op: 'set', key: b('k'), value: b('b'), expectedVersion: 0 }, T0);
    expect(miss).toMatchObject({ ok: false, code: 'VERSION_MISMATCH', currentVersion: v1 });
    const v2 = ok(s.handle({ op: 'set', key: b('k'), value: b('b'), expectedVersion: v1 }, T0)).version!;
    expect(s.handle({ op: 'del', key: b('k'), expectedVersion: v1 }, T0)).toMatchObject({ ok: false, code: 'VERSION_MISMATCH', currentVersion: v2 });
    expect(ok(s.handle({ op: 'del', key: b('k'), expectedVersion: v2, returnPrevious: true }, T0)))
      .toMatchObject({ found: true, previousFound: true, previousValue: b('b') });
    expect(s.handle({ op: 'del', key: b('k'), expectedVersion: v2 }, T0)).toMatchObject({ ok: false, code: 'VERSION_MISMATCH', currentVersion: 0 });
  });

  it('ifAbsent / ifPresent', () => {
    const s = new LocalShard(0, LIMITS);
    expect(s.handle({ op: 'set', key: b('k'), value: b('a'), ifPresent: true }, T0)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const v = ok(s.handle({ op: 'set', key: b('k'), value: b('a'), ifAbsent: true }, T0)).version!;
    expect(s.handle({ op: 'set', key: b('k'), value: b('b'), ifAbsent: true }, T0)).toMatchObject({ ok: false, code: 'KEY_EXISTS', currentVersion: v });
    ok(s.handle({ op: 'set', key: b('k'), value: b('b'), ifPresent: true }, T0));
    expect(text(s.handle({ op: 'get', key: b('k') }, T0))).toBe('b');
  });

  it('TTL: ttlMs, expireAtMs (wins), keepTtl, expired keys absent to reads, PTTL codes, PERSIST', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('k'), value: b('a'), ttlMs: 100, expireAtMs: T0 + 50 }, T0));
    expect(ok(s.handle({ op: 'ttl', key: b('k') }, T0 + 10)).integer).toBe(40n);
    ok(s.handle({ op: 'set', key: b('k'), value: b('b'), keepTtl: true }, T0 + 10));
    expect(ok(s.handle({ op: 'ttl', key: b('k') }, T0 + 10)).integer).toBe(40n);
    ok(s.handle({ op: 'set', key: b('k'), value: b('c') }, T0 + 10)); // a plain SET clears the TTL
    expect(ok(s.handle({ op: 'ttl', key: b('k') }, T0 + 10)).integer).toBe(-1n);
    expect(ok(s.handle({ op: 'expire', key: b('k'), ttlMs: 5 }, T0 + 10)).found).toBe(true);
    expect(ok(s.handle({ op: 'get', key: b('k') }, T0 + 14)).found).toBe(true);
    expect(ok(s.handle({ op: 'get', key: b('k') }, T0 + 15)).found).toBe(false); // expires at exactly now
    expect(ok(s.handle({ op: 'ttl', key: b('k') }, T0 + 15)).integer).toBe(-2n);
    // Reads never remove: the expired key stays in memory until the log removes it.
    expect(s.size).toBe(1);
    expect(ok(s.handle({ op: 'count' }, T0 + 15)).integer).toBe(0n);
    expect(s.sweepExpired(T0 + 15)).toBe(1);
    expect(s.size).toBe(0);
    ok(s.handle({ op: 'set', key: b('p'), value: b('a'), ttlMs: 5 }, T0));
    expect(ok(s.handle({ op: 'expire', key: b('p') }, T0))).toMatchObject({ found: true });
    expect(ok(s.handle({ op: 'expire', key: b('p') }, T0))).toMatchObject({ found: false }); // no TTL left to remove
    expect(ok(s.handle({ op: 'get', key: b('p') }, T0 + 1000)).found).toBe(true);
    expect(s.expiringSize).toBe(0);
  });

  it('an expiry in the past deletes (SET PXAT, EXPIRE, GETEX)', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('a'), value: b('1') }, T0));
    ok(s.handle({ op: 'set', key: b('a'), value: b('2'), expireAtMs: T0 }, T0));
    expect(s.size).toBe(0);
    ok(s.handle({ op: 'set', key: b('a'), value: b('1') }, T0));
    expect(ok(s.handle({ op: 'expire', key: b('a'), expireAtMs: T0 - 1 }, T0)).found).toBe(true);
    expect(s.size).toBe(0);
    ok(s.handle({ op: 'set', key: b('a'), value: b('1') }, T0));
    expect(text(s.handle({ op: 'getEx', key: b('a'), expireAtMs: 1 }, T0))).toBe('1');
    expect(s.size).toBe(0);
  });

  it('INCR: strict integers, int64 bounds, keeps the TTL', () => {
    const s = new LocalShard(0, LIMITS);
    expect(ok(s.handle({ op: 'incr', key: b('n'), delta: 5n }, T0)).integer).toBe(5n);
    ok(s.handle({ op: 'set', key: b('n'), value: b('9223372036854775806'), ttlMs: 1000 }, T0));
    expect(ok(s.handle({ op: 'incr', key: b('n'), delta: 1n }, T0)).integer).toBe((1n << 63n) - 1n);
    expect(s.handle({ op: 'incr', key: b('n'), delta: 1n }, T0)).toMatchObject({ ok: false, code: 'OVERFLOW' });
    expect(text(s.handle({ op: 'get', key: b('n') }, T0))).toBe('9223372036854775807'); // unchanged by the failure
    expect(ok(s.handle({ op: 'ttl', key: b('n') }, T0)).integer).toBe(1000n);
    ok(s.handle({ op: 'set', key: b('m'), value: b('-9223372036854775808') }, T0));
    expect(s.handle({ op: 'incr', key: b('m'), delta: -1n }, T0)).toMatchObject({ ok: false, code: 'OVERFLOW' });
    for (const bad of ['01', '+1', ' 1', '-0', '1.0', '', 'x', '9223372036854775808']) {
      ok(s.handle({ op: 'set', key: b('w'), value: b(bad) }, T0));
      expect(s.handle({ op: 'incr', key: b('w'), delta: 1n }, T0), JSON.stringify(bad)).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
    }
  });

  it('INCRFLOAT: decimal text, overflow refused, near-MAX results stay parseable', () => {
    const s = new LocalShard(0, LIMITS);
    expect(text(s.handle({ op: 'incrFloat', key: b('f'), delta: 0.1 }, T0))).toBe('0.1');
    expect(text(s.handle({ op: 'incrFloat', key: b('f'), delta: 0.2 }, T0))).toBe('0.3');
    expect(s.handle({ op: 'incrFloat', key: b('f'), delta: Number.MAX_VALUE }, T0)).toMatchObject({ ok: true });
    // Regression (seed 1353362733): 0.3 + MAX_VALUE used to be stored as "Infinity".
    expect(s.handle({ op: 'incrFloat', key: b('f'), delta: 0 }, T0)).toMatchObject({ ok: true });
    expect(s.handle({ op: 'incrFloat', key: b('f'), delta: Number.MAX_VALUE }, T0)).toMatchObject({ ok: false, code: 'OVERFLOW' });
    ok(s.handle({ op: 'set', key: b('g'), value: b('abc') }, T0));
    expect(s.handle({ op: 'incrFloat', key: b('g'), delta: 1 }, T0)).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
  });

  it('APPEND up to the value limit', () => {
    const s = new LocalShard(0, LIMITS);
    expect(ok(s.handle({ op: 'append', key: b('a'), value: new Uint8Array(1000) }, T0)).integer).toBe(1000n);
    expect(s.handle({ op: 'append', key: b('a'), value: new Uint8Array(25) }, T0)).toMatchObject({ ok: false, code: 'VALUE_TOO_LARGE' });
    expect(ok(s.handle({ op: 'append', key: b('a'), value: new Uint8Array(24) }, T0)).integer).toBe(1024n);
  });

  it('GETRANGE: inclusive end, negative offsets, out-of-range cases', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('r'), value: b('0123456789') }, T0));
    const range = (start: number, end: number): string => text(s.handle({ op: 'getRange', key: b('r'), start, end }, T0));
    expect(range(0, 3)).toBe('0123');
    expect(range(-3, -1)).toBe('789');
    expect(range(0, -1)).toBe('0123456789');
    expect(range(5, 100)).toBe('56789');
    expect(range(-100, 2)).toBe('012');
    expect(range(100, 200)).toBe('');
    expect(range(3, 2)).toBe('');
    expect(range(-1, -3)).toBe('');
    // A negative end before the start selects nothing (Redis 8; Redis 7 returned "0").
    expect(range(0, -100)).toBe('');
    expect(range(-100, -99)).toBe('');
    expect(ok(s.handle({ op: 'getRange', key: b('missing'), start: 0, end: -1 }, T0))).toMatchObject({ found: false, value: new Uint8Array(0) });
  });

  it('SETRANGE pads with zero bytes; an empty write creates nothing', () => {
    const s = new LocalShard(0, LIMITS);
    expect(ok(s.handle({ op: 'setRange', key: b('s'), offset: 3, value: b('ab') }, T0)).integer).toBe(5n);
    expect(ok(s.handle({ op: 'get', key: b('s') }, T0)).value).toEqual(Uint8Array.of(0, 0, 0, 0x61, 0x62));
    expect(ok(s.handle({ op: 'setRange', key: b('s'), offset: 1, value: b('X') }, T0)).integer).toBe(5n);
    expect(ok(s.handle({ op: 'get', key: b('s') }, T0)).value).toEqual(Uint8Array.of(0, 0x58, 0, 0x61, 0x62));
    expect(ok(s.handle({ op: 'setRange', key: b('t'), offset: 10, value: new Uint8Array(0) }, T0))).toMatchObject({ integer: 0n, version: 0 });
    expect(ok(s.handle({ op: 'exists', key: b('t') }, T0)).found).toBe(false);
  });

  it('stores copies: later changes to request buffers do not leak in', () => {
    const s = new LocalShard(0, LIMITS);
    const value = b('hello');
    ok(s.handle({ op: 'set', key: b('k'), value }, T0));
    value.fill(0);
    const entries = [{ key: b('m'), value: b('x') }];
    ok(s.handle({ op: 'mset', entries }, T0));
    entries[0]!.value.fill(0);
    expect(text(s.handle({ op: 'get', key: b('k') }, T0))).toBe('hello');
    expect(text(s.handle({ op: 'get', key: b('m') }, T0))).toBe('x');
  });

  it('SCAN pages cover every key with the prefix (any byte), cursor empty when done', () => {
    const s = new LocalShard(0, LIMITS);
    const keys = ['p\xff', 'p\x00', 'p\x80', 'p\x7f', 'p', 'q', 'o', 'p\x00\x00'];
    for (const key of keys) ok(s.handle({ op: 'set', key: b(key), value: b('v') }, T0));
    const seen: string[] = [];
    let cursor: Uint8Array = new Uint8Array(0);
    do {
      const page = ok(s.handle({ op: 'scan', prefix: b('p'), cursor, limit: 2 }, T0));
      seen.push(...page.scanItems!.map((it) => latin1(it.key)));
      cursor = page.cursor!;
    } while (cursor.length > 0);
    // Bucket order, not key order; each key once (nothing changed between pages).
    expect(seen.sort()).toEqual(['p', 'p\x00', 'p\x00\x00', 'p\x7f', 'p\x80', 'p\xff']);
  });

  it('SCAN skips expired keys and cuts pages to half a frame', () => {
    const s = new LocalShard(0, LIMITS);
    for (let i = 0; i < 10; i++) ok(s.handle({ op: 'set', key: b(`k${i}`), value: new Uint8Array(500) }, T0));
    ok(s.handle({ op: 'set', key: b('k5'), value: b('x'), ttlMs: 1 }, T0));
    const page = ok(s.handle({ op: 'scan', prefix: b('k'), cursor: new Uint8Array(0), limit: 100, withValues: true }, T0 + 1));
    // 4096-byte frame: a page holds at most 2048 bytes of keys and values
    // (counting 16 bytes overhead per item): 3 items of 518.
    expect(page.scanItems).toHaveLength(3);
    expect(page.cursor!.length).toBeGreaterThan(0);
    const rest = ok(s.handle({ op: 'scan', prefix: b('k'), cursor: page.cursor!, limit: 100 }, T0 + 1));
    const seen = [...page.scanItems!, ...rest.scanItems!].map((it) => latin1(it.key));
    expect(seen.sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k6', 'k7', 'k8', 'k9']);
    expect(rest.cursor).toEqual(new Uint8Array(0));
  });

  it('SCAN refuses a cursor that is not a shard cursor, and a page over a sparse table is bounded', () => {
    const s = new LocalShard(0, LIMITS);
    const bad = s.handle({ op: 'scan', prefix: b(''), cursor: b('abc'), limit: 10 }, T0);
    expect(bad).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    for (let i = 0; i < 2000; i++) ok(s.handle({ op: 'set', key: b(`k${i}`), value: b('v') }, T0));
    // No key has the prefix: a page visits at most SCAN_PAGE_BUCKETS_MIN of the 4096 buckets and hands back a cursor to go on.
    const page = ok(s.handle({ op: 'scan', prefix: b('zz'), cursor: new Uint8Array(0), limit: 1 }, T0));
    expect(page.scanItems).toEqual([]);
    expect(page.cursor!.length).toBe(4);
  });

  it('RANDOMKEY (scan with randomSeed) draws a live key from the seed, deterministically', () => {
    const s = new LocalShard(0, LIMITS);
    const empty = ok(s.handle({ op: 'scan', prefix: b(''), cursor: new Uint8Array(0), limit: 1, randomSeed: 7 }, T0));
    expect(empty).toMatchObject({ scanItems: [], cursor: new Uint8Array(0) });
    for (let i = 0; i < 50; i++) ok(s.handle({ op: 'set', key: b(`k${i}`), value: b('v') }, T0));
    for (let i = 0; i < 50; i++) ok(s.handle({ op: 'set', key: b(`gone${i}`), value: b('v'), ttlMs: 1 }, T0));
    const drawn = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const page = ok(s.handle({ op: 'scan', prefix: b(''), cursor: new Uint8Array(0), limit: 1, randomSeed: seed }, T0 + 5));
      expect(page.scanItems).toHaveLength(1);
      const key = latin1(page.scanItems![0]!.key);
      expect(key).toMatch(/^k\d+$/); // never an expired key
      const again = ok(s.handle({ op: 'scan', prefix: b(''), cursor: new Uint8Array(0), limit: 1, randomSeed: seed }, T0 + 5));
      expect(latin1(again.scanItems![0]!.key)).toBe(key); // the seed decides
      drawn.add(key);
    }
    expect(drawn.size).toBeGreaterThan(30); // spread over the keys, not one

  });

  it('MGET refuses replies beyond the frame limit; MSET ifNoneExist is all-or-nothing', () => {
    const s = new LocalShard(0, LIMITS);
    for (const key of ['a', 'b', 'c', 'd', 'e']) ok(s.handle({ op: 'set', key: b(key), value: new Uint8Array(1000) }, T0));
    expect(ok(s.handle({ op: 'mget', keys: [b('a'), b('zz'), b('b'), b('c'), b('d')] }, T0)).items!.map((it) => it.found))
      .toEqual([true, false, true, true, true]);
    expect(s.handle({ op: 'mget', keys: [b('a'), b('b'), b('c'), b('d'), b('e')] }, T0)).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    expect(ok(s.handle({ op: 'mset', entries: [{ key: b('new'), value: b('1') }, { key: b('a'), value: b('1') }], ifNoneExist: true }, T0)).found).toBe(false);
    expect(ok(s.handle({ op: 'exists', key: b('new') }, T0)).found).toBe(false);
  });

  it('active expiry is bounded per call and eventually reclaims every expired key', () => {
    const s = new LocalShard(0, LIMITS);
    for (let i = 0; i < 300; i++) {
      const req: Request = { op: 'set', key: b(`k${i}`), value: b('v') };
      if (i % 3 !== 0) req.ttlMs = 10; // 200 expiring keys
      ok(s.handle(req, T0));
    }
    expect(s.expiringSize).toBe(200);
    expect(s.sweepExpired(T0 + 5)).toBe(0); // nothing due yet
    let rounds = 0;
    let total = 0;
    while (s.expiringSize > 0) {
      const n = s.sweepExpired(T0 + 10);
      expect(n).toBeLessThanOrEqual(EXPIRY_SWEEP_ENTRIES_PER_STEP);
      total += n;
      rounds++;
      expect(rounds).toBeLessThan(20);
    }
    expect(total).toBe(200);
    expect(s.size).toBe(100);
    expect(ok(s.handle({ op: 'count' }, T0 + 10)).integer).toBe(100n);
    expect(() => s.sweepExpired(T0, 0)).toThrow(/budget/);
  });

  it('tracks data bytes', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('ab'), value: b('xyz') }, T0));
    expect(s.dataBytes).toBe(5);
    ok(s.handle({ op: 'append', key: b('ab'), value: b('!') }, T0));
    expect(s.dataBytes).toBe(6);
    ok(s.handle({ op: 'del', key: b('ab') }, T0));
    expect(s.dataBytes).toBe(0);
  });
});
