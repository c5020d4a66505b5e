// The set commands on a real Shard (core/types/set/), against Redis 7's
// documented behaviour and error words: replies, WRONGTYPE, encodings and
// their conversions (OBJECT ENCODING), expiry kept or dropped, SPOP's
// replicas agreeing, reply limits.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import { SET_COMPACT_ENTRIES_MAX, SET_INTSET_ENTRIES_MAX } from '../../../core/types/set/set-encoding.js';
import { ShardCalls } from './shard-calls.js';

const text = (d: DataValue | string): string[] => {
  if (typeof d === 'string') throw new Error(d);
  if (d.t !== 'set' && d.t !== 'array') throw new Error(`not a list: ${d.t}`);
  return d.v.map((x) => (x.t === 'bytes' ? new TextDecoder().decode(x.v) : `?${x.t}`));
};
const sorted = (d: DataValue | string): string[] => text(d).sort();
const bulk = (d: DataValue | string): string | null => {
  if (typeof d === 'string') throw new Error(d);
  if (d.t === 'nil') return null;
  if (d.t !== 'bytes') throw new Error(`not bytes: ${d.t}`);
  return new TextDecoder().decode(d.v);
};
const encoding = (s: ShardCalls, key: string): string | null => bulk(s.data('object', 'ENCODING', key));
const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const ttlMs = (s: ShardCalls, key: string): bigint | undefined => {
  const r = s.run({ op: 'ttl', key: new TextEncoder().encode(key) });
  return r.ok ? r.integer : undefined;
};
const WRONGTYPE = 'ERR:WRONG_TYPE Operation against a key holding the wrong kind of value';

describe('set commands', () => {
  it('SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS', () => {
    const s = new ShardCalls();
    expect(s.int('sadd', 'k', 'a', 'b', 'a')).toBe(2);
    expect(s.int('sadd', 'k', 'b')).toBe(0);
    expect(s.int('scard', 'k')).toBe(2);
    expect(s.int('scard', 'none')).toBe(0);
    expect(s.int('sismember', 'k', 'a')).toBe(1);
    expect(s.int('sismember', 'k', 'z')).toBe(0);
    expect(s.int('sismember', 'none', 'a')).toBe(0);
    expect(s.data('smismember', 'k', 'a', 'z', 'b')).toEqual({ t: 'array', v: [1, 0, 1].map((v) => ({ t: 'int', v: BigInt(v) })) });
    expect(s.data('smismember', 'none', 'a')).toEqual({ t: 'array', v: [{ t: 'int', v: 0n }] });
    expect(s.data('smembers', 'k')).toMatchObject({ t: 'set' });
    expect(sorted(s.data('smembers', 'k'))).toEqual(['a', 'b']);
    expect(s.data('smembers', 'none')).toEqual({ t: 'set', v: [] });
    expect(s.int('srem', 'k', 'a', 'zz')).toBe(1);
    expect(s.int('srem', 'k', 'zz')).toBe(0);
    expect(s.int('srem', 'none', 'a')).toBe(0);
    expect(s.int('srem', 'k', 'b')).toBe(1);
    // An emptied set is removed, as in Redis.
    expect(s.data('type', 'k')).toEqual({ t: 'status', v: 'none' });
  });

  it('WRONGTYPE on a string for every set command, and TYPE says set', () => {
    const s = new ShardCalls();
    s.set('str', 'x');
    s.int('sadd', 'set', '1');
    expect(s.data('type', 'set')).toEqual({ t: 'status', v: 'set' });
    for (const [name, ...args] of [
      ['sadd', 'str', 'a'], ['srem', 'str', 'a'], ['scard', 'str'], ['sismember', 'str', 'a'], ['smismember', 'str', 'a'],
      ['smembers', 'str'], ['srandmember', 'str'], ['spop', 'str'], ['sinter', 'set', 'str'], ['sunion', 'set', 'str'],
      ['sdiff', 'set', 'str'], ['sinterstore', 'd', 'set', 'str'], ['sintercard', '2', 'set', 'str'], ['sscan', 'str', '0'],
      ['smove', 'str', 'set', 'a'], ['smove', 'set', 'str', '1'],
    ] as string[][]) {
      expect(s.data(name!, ...args), name).toBe(WRONGTYPE);
    }
    expect(s.run({ op: 'get', key: new TextEncoder().encode('set') })).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
    // SINTER with a missing key still checks every key's type first.
    expect(s.data('sinter', 'none', 'str')).toBe(WRONGTYPE);
    // SMOVE from a missing key answers 0 before looking at the destination (as Redis).
    expect(s.int('smove', 'none', 'str', 'a')).toBe(0);
  });

  it('encodings: intset, then listpack, then hashtable, as Redis converts', () => {
    const s = new ShardCalls();
    s.int('sadd', 'ints', ...range(SET_INTSET_ENTRIES_MAX, (i) => String(i * 1000 - 7)));
    expect(encoding(s, 'ints')).toBe('intset');
    s.int('sadd', 'ints', '99999999');
    expect(encoding(s, 'ints')).toBe('hashtable');
    expect(s.int('scard', 'ints')).toBe(SET_INTSET_ENTRIES_MAX + 1);
    expect(s.int('sismember', 'ints', '-7')).toBe(1);

    s.int('sadd', 'mixed', '1', '2');
    expect(encoding(s, 'mixed')).toBe('intset');
    s.int('sadd', 'mixed', 'x');
    expect(encoding(s, 'mixed')).toBe('listpack');
    expect(sorted(s.data('smembers', 'mixed'))).toEqual(['1', '2', 'x']);
    s.int('sadd', 'mixed', ...range(SET_COMPACT_ENTRIES_MAX - 3, (i) => `m${i}`));
    expect(encoding(s, 'mixed')).toBe('listpack');
    s.int('sadd', 'mixed', 'one-more');
    expect(encoding(s, 'mixed')).toBe('hashtable');

    s.int('sadd', 'long', 'a');
    s.int('sadd', 'long', 'x'.repeat(65));
    expect(encoding(s, 'long')).toBe('hashtable');
    // An intset meeting a non-integer past the listpack's size goes straight to the hashtable.
    s.int('sadd', 'wide', ...range(200, String));
    s.int('sadd', 'wide', 'x');
    expect(encoding(s, 'wide')).toBe('hashtable');
    // Not integers' canonical text: stay text.
    s.int('sadd', 'texty', '01', '+1', ' 1');
    expect(encoding(s, 'texty')).toBe('listpack');
    expect(sorted(s.data('smembers', 'texty'))).toEqual([' 1', '+1', '01']);
    // Removing does not convert back.
    s.int('srem', 'long', 'x'.repeat(65));
    expect(encoding(s, 'long')).toBe('hashtable');
  });

  it('SRANDMEMBER: one, distinct, repeated; errors', () => {
    const s = new ShardCalls();
    expect(s.data('srandmember', 'none')).toEqual({ t: 'nil' });
    expect(s.data('srandmember', 'none', '3')).toEqual({ t: 'array', v: [] });
    s.int('sadd', 'k', ...range(10, (i) => `m${i}`));
    expect(bulk(s.data('srandmember', 'k'))).toMatch(/^m\d$/);
    const three = text(s.data('srandmember', 'k', '3'));
    expect(new Set(three).size).toBe(3);
    expect(sorted(s.data('srandmember', 'k', '100'))).toEqual(range(10, (i) => `m${i}`).sort());
    expect(text(s.data('srandmember', 'k', '-25'))).toHaveLength(25);
    expect(s.data('srandmember', 'k', '0')).toEqual({ t: 'array', v: [] });
    expect(s.data('srandmember', 'k', 'x')).toBe('ERR:BAD_REQUEST value is not an integer or out of range');
    expect(s.data('srandmember', 'k', '1', '2')).toBe('ERR:BAD_REQUEST syntax error');
    expect(s.data('srandmember', 'k', '-9223372036854775808')).toMatch(/value is out of range/);
    // A reply over a frame is refused, however large the count.
    expect(s.data('srandmember', 'k', '-9223372036854775807')).toMatch(/^ERR:LIMIT_EXCEEDED the SRANDMEMBER reply would be over/);
  });

  it('SPOP: one, with a count, all; errors; the key goes when emptied', () => {
    const s = new ShardCalls();
    expect(s.data('spop', 'none')).toEqual({ t: 'nil' });
    expect(s.data('spop', 'none', '2')).toEqual({ t: 'set', v: [] });
    s.int('sadd', 'k', ...range(10, (i) => `m${i}`));
    const one = bulk(s.data('spop', 'k'))!;
    expect(s.int('sismember', 'k', one)).toBe(0);
    const four = text(s.data('spop', 'k', '4'));
    expect(new Set(four).size).toBe(4);
    expect(s.int('scard', 'k')).toBe(5);
    expect(s.data('spop', 'k', '0')).toEqual({ t: 'set', v: [] });
    expect(s.data('spop', 'k', '-1')).toBe('ERR:BAD_REQUEST value is out of range, must be positive');
    expect(s.data('spop', 'k', 'x')).toBe('ERR:BAD_REQUEST value is not an integer or out of range');
    expect(s.data('spop', 'k', '1', '2')).toBe('ERR:BAD_REQUEST syntax error');
    const rest = sorted(s.data('spop', 'k', '99'));
    expect(new Set([one, ...four, ...rest]).size).toBe(10);
    expect(s.data('type', 'k')).toEqual({ t: 'status', v: 'none' });
  });

  it('SPOP over a frame is refused and removes nothing', () => {
    const s = new ShardCalls(1_000_000, makeLimits({ valueBytesMax: 1000, frameBytesMax: 2000, keyBytesMax: 100 }));
    s.int('sadd', 'k', ...range(300, (i) => `member-${i}`));
    expect(s.data('spop', 'k', '250')).toMatch(/^ERR:LIMIT_EXCEEDED/);
    expect(s.data('smembers', 'k')).toMatch(/^ERR:LIMIT_EXCEEDED/);
    expect(s.int('scard', 'k')).toBe(300);
    expect(text(s.data('spop', 'k', '3'))).toHaveLength(3);
  });

  it('SPOP draws the same members on replicas applying the same log, also large', () => {
    const a = new ShardCalls();
    const b = new ShardCalls();
    for (const s of [a, b]) s.int('sadd', 'k', ...range(1000, (i) => `m${i}`));
    for (let i = 0; i < 20; i++) expect(a.data('spop', 'k', '7')).toEqual(b.data('spop', 'k', '7'));
    expect(a.shard.digest()).toBe(b.shard.digest());
  });

  it('SMOVE', () => {
    const s = new ShardCalls();
    s.int('sadd', 'src', 'a', 'b');
    s.int('sadd', 'dst', 'c');
    expect(s.int('smove', 'src', 'dst', 'a')).toBe(1);
    expect(sorted(s.data('smembers', 'dst'))).toEqual(['a', 'c']);
    expect(s.int('smove', 'src', 'dst', 'zz')).toBe(0);
    expect(s.int('smove', 'src', 'src', 'b')).toBe(1);
    expect(s.int('smove', 'src', 'src', 'zz')).toBe(0);
    expect(s.int('smove', 'src', 'new', 'b')).toBe(1);
    expect(s.data('type', 'src')).toEqual({ t: 'status', v: 'none' });
    expect(sorted(s.data('smembers', 'new'))).toEqual(['b']);
    s.int('sadd', 'src', 'c');
    expect(s.int('smove', 'src', 'dst', 'c')).toBe(1); // already there: still 1
    expect(s.int('scard', 'dst')).toBe(2);
  });

  it('SINTER / SUNION / SDIFF and the STORE forms', () => {
    const s = new ShardCalls();
    s.int('sadd', 'k1', 'a', 'b', 'c', 'd');
    s.int('sadd', 'k2', 'c');
    s.int('sadd', 'k3', 'a', 'c', 'e');
    expect(sorted(s.data('sinter', 'k1', 'k2', 'k3'))).toEqual(['c']);
    expect(s.data('sinter', 'k1', 'none')).toEqual({ t: 'set', v: [] });
    expect(sorted(s.data('sunion', 'k1', 'k2', 'k3', 'none'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sorted(s.data('sdiff', 'k1', 'k2', 'k3'))).toEqual(['b', 'd']);
    expect(s.data('sdiff', 'none', 'k1')).toEqual({ t: 'set', v: [] });
    expect(sorted(s.data('sdiff', 'k1', 'none'))).toEqual(['a', 'b', 'c', 'd']);
    s.set('dst', 'a string');
    s.run({ op: 'expire', key: new TextEncoder().encode('dst'), expireAtMs: s.nowMs + 100_000 });
    expect(s.int('sunionstore', 'dst', 'k1', 'k3')).toBe(5);
    expect(sorted(s.data('smembers', 'dst'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ttlMs(s, 'dst')).toBe(-1n); // the stored set has no expiry
    expect(s.int('sinterstore', 'k1', 'k1', 'k3')).toBe(2); // a source may be the destination
    expect(sorted(s.data('smembers', 'k1'))).toEqual(['a', 'c']);
    expect(s.int('sdiffstore', 'dst', 'k1', 'k3')).toBe(0);
    expect(s.data('type', 'dst')).toEqual({ t: 'status', v: 'none' });
    expect(s.int('sinterstore', 'never', 'none')).toBe(0);
    // Results take the encoding a new set would.
    s.int('sadd', 'n1', '1', '2', '3');
    s.int('sadd', 'n2', '3', '4');
    s.int('sunionstore', 'nu', 'n1', 'n2');
    expect(encoding(s, 'nu')).toBe('intset');
  });

  it('SINTERCARD: numkeys, LIMIT, errors', () => {
    const s = new ShardCalls();
    s.int('sadd', 'k1', 'a', 'b', 'c', 'd');
    s.int('sadd', 'k2', 'c', 'd', 'e');
    expect(s.int('sintercard', '2', 'k1', 'k2')).toBe(2);
    expect(s.int('sintercard', '2', 'k1', 'k2', 'LIMIT', '1')).toBe(1);
    expect(s.int('sintercard', '2', 'k1', 'k2', 'limit', '0')).toBe(2);
    expect(s.int('sintercard', '1', 'k1')).toBe(4);
    expect(s.int('sintercard', '2', 'k1', 'none')).toBe(0);
    expect(s.data('sintercard', '0', 'k1')).toBe('ERR:BAD_REQUEST numkeys should be greater than 0');
    expect(s.data('sintercard', 'x', 'k1')).toBe('ERR:BAD_REQUEST numkeys should be greater than 0');
    expect(s.data('sintercard', '3', 'k1', 'k2')).toBe("ERR:BAD_REQUEST Number of keys can't be greater than number of args");
    expect(s.data('sintercard', '2', 'k1', 'k2', 'LIMIT', '-1')).toBe("ERR:BAD_REQUEST LIMIT can't be negative");
    expect(s.data('sintercard', '2', 'k1', 'k2', 'LIMIT')).toBe('ERR:BAD_REQUEST syntax error');
    expect(s.data('sintercard', '1', 'k1', 'k2')).toBe('ERR:BAD_REQUEST syntax error');
  });

  it('SSCAN: a compact set whole, a large one by cursor, MATCH, COUNT, errors', () => {
    const s = new ShardCalls();
    s.int('sadd', 'small', 'a1', 'a2', 'b1');
    const page = (d: DataValue | string): { cursor: string; members: string[] } => {
      if (typeof d === 'string' || d.t !== 'array') throw new Error(String(d));
      return { cursor: bulk(d.v[0]!)!, members: text(d.v[1]!) };
    };
    expect(page(s.data('sscan', 'small', '0'))).toEqual({ cursor: '0', members: ['a1', 'a2', 'b1'] });
    expect(page(s.data('sscan', 'small', '0', 'MATCH', 'a*'))).toEqual({ cursor: '0', members: ['a1', 'a2'] });
    expect(page(s.data('sscan', 'none', '0'))).toEqual({ cursor: '0', members: [] });
    s.int('sadd', 'big', ...range(1000, (i) => `m${i}`));
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const p = page(s.data('sscan', 'big', cursor, 'COUNT', '50'));
      p.members.forEach((m) => seen.add(m));
      cursor = p.cursor;
      pages++;
    } while (cursor !== '0');
    expect(seen.size).toBe(1000);
    expect(pages).toBeGreaterThan(5);
    const matched: string[] = [];
    cursor = '0';
    do {
      const p = page(s.data('sscan', 'big', cursor, 'MATCH', 'm99*'));
      matched.push(...p.members);
      cursor = p.cursor;
    } while (cursor !== '0');
    expect(matched.sort()).toEqual(['m99', 'm990', 'm991', 'm992', 'm993', 'm994', 'm995', 'm996', 'm997', 'm998', 'm999']);
    expect(s.data('sscan', 'big', 'x')).toBe('ERR:BAD_REQUEST invalid cursor');
    expect(s.data('sscan', 'big', '0', 'COUNT', '0')).toBe('ERR:BAD_REQUEST syntax error');
    expect(s.data('sscan', 'big', '0', 'COUNT', 'x')).toBe('ERR:BAD_REQUEST value is not an integer or out of range');
    expect(s.data('sscan', 'big', '0', 'MATCH')).toBe('ERR:BAD_REQUEST syntax error');
  });

  it('DUMP / RESTORE carry a set in each encoding, the large one as its exact image', () => {
    const s = new ShardCalls();
    s.int('sadd', 'i', '1', '2', '3');
    s.int('sadd', 'l', 'a', 'b');
    s.int('sadd', 'h', ...range(300, (i) => `m${i}`));
    for (const key of ['i', 'l', 'h']) {
      const payload = s.data('dump', key);
      if (typeof payload === 'string' || payload.t !== 'bytes') throw new Error(String(payload));
      expect(s.data('restore', `${key}2`, '0', payload.v)).toEqual({ t: 'status', v: 'OK' });
      expect(sorted(s.data('smembers', `${key}2`))).toEqual(sorted(s.data('smembers', key)));
      expect(encoding(s, `${key}2`)).toBe(encoding(s, key));
    }
    // The restored copy is independent: changing it leaves the original.
    s.int('srem', 'h2', 'm1');
    expect(s.int('sismember', 'h', 'm1')).toBe(1);
    expect(s.int('scard', 'h2')).toBe(299);
  });

  it('SADD keeps the key expiry; a write that changes nothing keeps the version', () => {
    const s = new ShardCalls();
    s.int('sadd', 'k', 'a');
    s.run({ op: 'expire', key: new TextEncoder().encode('k'), expireAtMs: s.nowMs + 50_000 });
    const added = s.call('sadd', 'k', 'b');
    expect(added.ok && added.version).toBeGreaterThan(0);
    expect(ttlMs(s, 'k')).toBe(50_000n);
    const same = s.call('sadd', 'k', 'b');
    expect(same.ok && same.version).toBe(undefined);
    s.nowMs += 60_000;
    expect(s.int('scard', 'k')).toBe(0);
  });
});
