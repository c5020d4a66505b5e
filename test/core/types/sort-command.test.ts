// SORT / SORT_RO on a real Shard, case by case: how a weight's text is read
// (strtod's rules), Redis's error words and their order, the slot rule for
// BY / GET patterns, routing (only STORE writes; its destination is a key),
// every encoding of the sorted collection, the reply bound, STORE's
// replacement of its destination, and pattern keys read at the read's or
// the entry's time.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import type { CallRequest, Reply } from '../../../core/protocol/ops.js';
import { keyspaceEvents, parseKeyspaceEventFlags } from '../../../core/resp/keyspace-events.js';
import { callKeys, isWriteCall } from '../../../core/types/call-request.js';
import { sortScoreOf } from '../../../core/types/keyspace/sort-score.js';
import { ShardCalls } from './shard-calls.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const BY_DENIED = 'ERR:BAD_REQUEST BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';
const GET_DENIED = 'ERR:BAD_REQUEST GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';
const NOT_DOUBLE = "ERR:BAD_REQUEST One or more scores can't be converted into double";
const SYNTAX = 'ERR:BAD_REQUEST syntax error';
const WRONGTYPE = 'ERR:WRONG_TYPE Operation against a key holding the wrong kind of value';

/** A reply as plain data: an array of texts (null for nil), a number, or the error text. */
function plain(d: DataValue | string): (string | null)[] | number | string {
  if (typeof d === 'string') return d;
  if (d.t === 'int') return Number(d.v);
  if (d.t !== 'array') return `?${d.t}`;
  return d.v.map((x) => (x.t === 'nil' ? null : x.t === 'bytes' ? dec.decode(x.v) : `?${x.t}`));
}

function sort(s: ShardCalls, ...args: string[]): (string | null)[] | number | string {
  return plain(s.data('sort', ...args));
}

const call = (name: string, ...args: string[]): CallRequest => ({ op: 'call', name, args: args.map((a) => enc.encode(a)) });

describe('a weight read as a number (strtod, as Redis checks it)', () => {
  const cases: [string, number | null][] = [
    ['12', 12], ['-3.5', -3.5], ['1e3', 1000], ['.5', 0.5], ['5.', 5], ['+7', 7], ['', 0], ['  42', 42], ['\t\n1', 1],
    ['inf', Infinity], ['-Infinity', -Infinity], ['0x1A', 26], ['0x.8', 0.5], ['0x1p4', 16], ['1\u0000junk', 1], ['\u0000', 0],
    ['1e308', 1e308], ['4.9e-324', null], ['1e-400', null], ['0e-400', 0], ['1e400', null], ['nan', null], ['NaN', null],
    ['12 ', null], [' ', null], ['abc', null], ['1x', null], ['0x', null], ['1e', null], ['.', null], ['--1', null], ['٣', null],
  ];
  it.each(cases)('%j -> %s', (text, want) => {
    expect(sortScoreOf(enc.encode(text))).toBe(want);
  });
});

describe('SORT errors, in the order Redis finds them', () => {
  const s = new ShardCalls();
  s.call('rpush', '{s}l', '3', '1', '2');
  s.set('{s}str', 'x');
  s.call('hset', '{s}h', 'f', 'v');

  it('WRONGTYPE for a string or a hash, after the options are read', () => {
    expect(sort(s, '{s}str')).toBe(WRONGTYPE);
    expect(sort(s, '{s}h', 'ALPHA')).toBe(WRONGTYPE);
    expect(plain(s.data('sort_ro', '{s}h'))).toBe(WRONGTYPE);
    expect(sort(s, '{s}str', 'LIMIT', 'x', '1')).toBe('ERR:BAD_REQUEST value is not an integer or out of range');
    expect(sort(s, '{s}str', 'BOGUS')).toBe(SYNTAX);
  });

  it('syntax errors: an unknown word, an option short of its arguments, STORE in SORT_RO', () => {
    expect(sort(s, '{s}l', 'LIMIT', '0')).toBe(SYNTAX);
    expect(sort(s, '{s}l', 'BY')).toBe(SYNTAX);
    expect(sort(s, '{s}l', 'GET')).toBe(SYNTAX);
    expect(sort(s, '{s}l', 'STORE')).toBe(SYNTAX);
    expect(sort(s, '{s}l', 'ASC', 'DESCENDING')).toBe(SYNTAX);
    expect(plain(s.data('sort_ro', '{s}l', 'STORE', '{s}d'))).toBe(SYNTAX);
    expect(sort(s, '{s}l', 'LIMIT', '0', '1.5')).toBe('ERR:BAD_REQUEST value is not an integer or out of range');
  });

  it('a non-numeric weight or element answers Redis\'s words, ALPHA or nosort does not read them', () => {
    s.call('rpush', '{s}words', 'b', 'a', '10');
    expect(sort(s, '{s}words')).toBe(NOT_DOUBLE);
    expect(sort(s, '{s}words', 'ALPHA')).toEqual(['10', 'a', 'b']);
    expect(sort(s, '{s}words', 'BY', 'nosort')).toEqual(['b', 'a', '10']);
    s.set('{s}w_3', 'heavy');
    expect(sort(s, '{s}l', 'BY', '{s}w_*')).toBe(NOT_DOUBLE);
    expect(sort(s, '{s}l', 'BY', '{s}w_*', 'ALPHA')).toEqual(['1', '2', '3']);
  });

  it('BY and GET patterns must hash to the key\'s slot (Redis Cluster\'s rule and words)', () => {
    expect(sort(s, '{s}l', 'BY', 'w_*')).toBe(BY_DENIED);
    expect(sort(s, '{s}l', 'BY', '*{s}')).toBe(BY_DENIED); // a wildcard before the tag: any slot
    expect(sort(s, '{s}l', 'BY', '{t}w_*')).toBe(BY_DENIED);
    expect(sort(s, '{s}l', 'BY', '{s?}*')).toBe(BY_DENIED);
    expect(sort(s, '{s}l', 'GET', 'w_*')).toBe(GET_DENIED);
    expect(sort(s, '{s}l', 'GET', '#', 'GET', '{x}*')).toBe(GET_DENIED);
    // The first refused option answers, before a later syntax error.
    expect(sort(s, '{s}l', 'GET', 'w_*', 'BOGUS')).toBe(GET_DENIED);
    expect(sort(s, '{s}l', 'BOGUS', 'GET', 'w_*')).toBe(SYNTAX);
    // Allowed: a tag in the key's slot, GET #, BY without `*` (nosort) whatever its text.
    expect(sort(s, '{s}l', 'BY', '{s}w_*', 'ALPHA', 'GET', '#', 'GET', '{s}w_*')).toEqual(['1', null, '2', null, '3', 'heavy']);
    expect(sort(s, '{s}l', 'BY', 'anything-without-a-star')).toEqual(['3', '1', '2']);
    // A key without a tag: a pattern without wildcards hashes whole (it names one fixed key, which GET reads as nil).
    s.call('rpush', 'plain', '2', '1');
    expect(sort(s, 'plain', 'GET', 'plain')).toEqual([null, null]);
    expect(sort(s, 'plain', 'GET', 'plain*')).toBe(GET_DENIED);
  });
});

describe('routing: only SORT ... STORE writes, and its destination is a key', () => {
  it('isWriteCall and callKeys', () => {
    expect(isWriteCall(call('sort', 'k'))).toBe(false);
    expect(isWriteCall(call('sort', 'k', 'LIMIT', '0', '1', 'ALPHA'))).toBe(false);
    expect(isWriteCall(call('sort', 'k', 'STORE', 'd'))).toBe(true);
    expect(isWriteCall(call('sort', 'k', 'store', 'd', 'DESC'))).toBe(true);
    // A wrong call is answered by a read (nothing to log).
    expect(isWriteCall(call('sort', 'k', 'STORE', 'd', 'BOGUS'))).toBe(false);
    expect(isWriteCall(call('sort_ro', 'k'))).toBe(false);
    expect(isWriteCall(call('sort_ro', 'k', 'STORE', 'd'))).toBe(false);
    expect(callKeys(call('sort', 'k', 'GET', '#')).map((k) => dec.decode(k))).toEqual(['k']);
    // The last STORE wins, as in Redis.
    expect(callKeys(call('sort', 'k', 'STORE', 'd1', 'STORE', 'd2')).map((k) => dec.decode(k))).toEqual(['k', 'd2']);
    expect(callKeys(call('sort_ro', 'k', 'STORE', 'd')).map((k) => dec.decode(k))).toEqual(['k']);
    // Before validation refuses a wrong argument count: no keys, a read.
    expect(callKeys(call('sort'))).toEqual([]);
    expect(isWriteCall(call('sort'))).toBe(false);
  });

  it('a SORT without STORE leaves the log alone; with STORE it is one entry', () => {
    const s = new ShardCalls();
    s.call('rpush', 'k', '2', '1');
    const applied = s.shard.appliedIndex;
    expect(sort(s, 'k')).toEqual(['1', '2']);
    expect(s.shard.appliedIndex).toBe(applied);
    expect(sort(s, 'k', 'STORE', 'k')).toBe(2);
    expect(s.shard.appliedIndex).toBe(applied + 1);
    expect(plain(s.data('lrange', 'k', '0', '-1'))).toEqual(['1', '2']);
  });
});

describe('every encoding of the sorted collection', () => {
  const numbers = (n: number): string[] => Array.from({ length: n }, (_, i) => String((i * 7919) % n));
  const ascending = (xs: string[]): string[] => [...xs].sort((a, b) => Number(a) - Number(b));

  it.each([
    ['a compact list', 'list', 50, 'listpack'], ['a quicklist', 'list', 6000, 'quicklist'],
    ['an intset', 'set', 100, 'intset'], ['a listpack set', 'set', 60, 'listpack'], ['a hashtable set', 'set', 700, 'hashtable'],
    ['a listpack sorted set', 'zset', 100, 'listpack'], ['a skiplist sorted set', 'zset', 300, 'skiplist'],
  ])('%s', (_what, type, n, encoding) => {
    const s = new ShardCalls();
    let members = numbers(n as number);
    if (encoding === 'listpack' && type === 'set') members = members.map((m) => `${m}.0`);
    if (type === 'list') s.call('rpush', 'k', ...members);
    else if (type === 'set') s.call('sadd', 'k', ...members);
    else s.call('zadd', 'k', ...members.flatMap((m) => [String(-Number(m)), m]));
    expect(dec.decode((s.data('object', 'ENCODING', 'k') as { v: Uint8Array }).v)).toBe(encoding);
    const want = ascending(members);
    expect(sort(s, 'k')).toEqual(want);
    expect(sort(s, 'k', 'DESC', 'LIMIT', '1', '3')).toEqual(want.slice().reverse().slice(1, 4));
    expect(sort(s, 'k', 'ALPHA', 'LIMIT', '0', '2')).toEqual([...members].sort().slice(0, 2));
    expect(sort(s, 'k', 'STORE', 'dst')).toBe(want.length);
    expect(plain(s.data('lrange', 'dst', '0', '-1'))).toEqual(want);
    if (type === 'zset') {
      // nosort keeps the sorted set's order (by score: descending numbers here), DESC walks it back, LIMIT cuts it.
      const byScore = want.slice().reverse();
      expect(sort(s, 'k', 'BY', 'nosort')).toEqual(byScore);
      expect(sort(s, 'k', 'BY', 'nosort', 'LIMIT', '2', '3')).toEqual(byScore.slice(2, 5));
      expect(sort(s, 'k', 'BY', 'nosort', 'DESC', 'LIMIT', '2', '3')).toEqual(want.slice(2, 5));
    }
    if (type === 'list') {
      expect(sort(s, 'k', 'BY', 'nosort', 'DESC', 'LIMIT', '0', '2')).toEqual(members.slice(-2).reverse());
    }
    if (type === 'set') {
      // STORE of a set BY nosort sorts it (ALPHA), so the stored list does not depend on the encoding.
      expect(sort(s, 'k', 'BY', 'nosort', 'STORE', 'dst')).toBe(members.length);
      expect(plain(s.data('lrange', 'dst', '0', '-1'))).toEqual([...members].sort());
    }
  });
});

describe('LIMIT, as Redis clamps it', () => {
  const s = new ShardCalls();
  s.call('rpush', 'k', '5', '4', '3', '2', '1');
  it.each([
    [['0', '2'], ['1', '2']], [['3', '-1'], ['4', '5']], [['-5', '2'], ['1', '2']], [['4', '100'], ['5']],
    [['5', '1'], []], [['9', '-1'], []], [['2', '0'], []], [['1', '-7'], ['2', '3', '4', '5']],
    [['0', '9223372036854775807'], ['1', '2', '3', '4', '5']], [['-9223372036854775808', '1'], ['1']],
  ])('LIMIT %j', (limit, want) => {
    expect(sort(s, 'k', 'LIMIT', ...limit)).toEqual(want);
  });
});

describe('BY and GET patterns', () => {
  it('string weights, hash fields, `->` without a field, missing and wrong-typed keys', () => {
    const s = new ShardCalls();
    s.call('rpush', '{u}ids', '1', '2', '3', '4');
    s.set('{u}w_1', '30');
    s.set('{u}w_2', '10');
    s.call('hset', '{u}w_3', 'f', '20', 'name', 'three');
    s.call('hset', '{u}h_1', 'f', '3', 'name', 'one');
    s.call('hset', '{u}h_2', 'f', '1', 'name', 'two');
    s.set('{u}h_4->', '9'); // a key whose name ends in "->"
    // {u}w_3 is a hash and {u}w_4 absent: weight 0, ties broken by the element.
    expect(sort(s, '{u}ids', 'BY', '{u}w_*')).toEqual(['3', '4', '2', '1']);
    expect(sort(s, '{u}ids', 'BY', '{u}w_*', 'DESC')).toEqual(['1', '2', '4', '3']);
    expect(sort(s, '{u}ids', 'BY', '{u}h_*->f', 'GET', '#', 'GET', '{u}h_*->name')).toEqual(['3', null, '4', null, '2', 'two', '1', 'one']);
    expect(sort(s, '{u}ids', 'BY', '{u}h_*->', 'GET', '{u}h_*->')).toEqual([null, null, null, '9']);
    // ALPHA BY: missing weights first, then by weight bytes ("10" < "30").
    expect(sort(s, '{u}ids', 'BY', '{u}w_*', 'ALPHA')).toEqual(['3', '4', '2', '1']);
    // GET of a hash as a string, or a string as a hash: nil.
    expect(sort(s, '{u}ids', 'GET', '{u}w_*', 'GET', '{u}w_*->f')).toEqual(['30', null, '10', null, null, '20', null, null]);
  });

  it('pattern keys are read at the read\'s time, and at the entry\'s time in SORT ... STORE', () => {
    const s = new ShardCalls();
    s.call('rpush', '{t}k', 'a', 'b');
    s.set('{t}w_a', '2');
    s.set('{t}w_b', '1');
    s.call('pexpire', '{t}w_b', '1000');
    expect(sort(s, '{t}k', 'BY', '{t}w_*', 'GET', '{t}w_*')).toEqual(['1', '2']);
    s.nowMs += 1000;
    expect(sort(s, '{t}k', 'BY', '{t}w_*', 'GET', '{t}w_*')).toEqual([null, '2']);
    expect(sort(s, '{t}k', 'BY', '{t}w_*', 'GET', '{t}w_*', 'STORE', '{t}d')).toBe(2);
    expect(plain(s.data('lrange', '{t}d', '0', '-1'))).toEqual(['', '2']);
    expect(s.run({ op: 'exists', key: enc.encode('{t}w_b') })).toMatchObject({ ok: true, found: false });
  });
});

describe('STORE', () => {
  it('replaces the destination, whatever it held, with a list without TTL; an empty result deletes it', () => {
    const s = new ShardCalls();
    s.call('sadd', 'k', 'b', 'a');
    s.call('hset', 'dst', 'f', 'v');
    s.call('pexpire', 'dst', '100000');
    expect(sort(s, 'k', 'ALPHA', 'STORE', 'dst')).toBe(2);
    expect(plain(s.data('lrange', 'dst', '0', '-1'))).toEqual(['a', 'b']);
    expect(s.run({ op: 'ttl', key: enc.encode('dst') })).toMatchObject({ ok: true, integer: -1n });
    const r = s.call('sort', 'missing', 'STORE', 'dst');
    expect(r).toMatchObject({ ok: true, data: { t: 'int', v: 0n } });
    expect(r.ok && r.version).toBeGreaterThan(0);
    expect(s.run({ op: 'exists', key: enc.encode('dst') })).toMatchObject({ ok: true, found: false });
    // Nothing to delete: nothing written.
    expect(s.call('sort', 'missing', 'STORE', 'dst')).toEqual({ ok: true, data: { t: 'int', v: 0n } });
    expect(sort(s, 'k', 'LIMIT', '5', '1', 'ALPHA', 'STORE', 'dst')).toBe(0);
  });

  it('stores a large result as a quicklist, and GET values in place of the elements', () => {
    const s = new ShardCalls();
    const many = Array.from({ length: 4000 }, (_, i) => String(i));
    s.call('rpush', '{g}k', ...many);
    for (let i = 0; i < 5; i++) s.set(`{g}v_${i}`, `value-${i}`);
    expect(sort(s, '{g}k', 'DESC', 'GET', '#', 'GET', '{g}v_*', 'STORE', '{g}d')).toBe(8000);
    expect(dec.decode((s.data('object', 'ENCODING', '{g}d') as { v: Uint8Array }).v)).toBe('quicklist');
    expect(plain(s.data('lrange', '{g}d', '-4', '-1'))).toEqual(['1', 'value-1', '0', 'value-0']);
    expect(plain(s.data('lrange', '{g}d', '0', '1'))).toEqual(['3999', '']);
  });
});

describe('the reply bound', () => {
  it('a reply over one frame answers LIMIT_EXCEEDED; LIMIT pages and STORE takes it whole', () => {
    const limits = makeLimits({ valueBytesMax: 1024 });
    const s = new ShardCalls(1_000_000, limits);
    const big = 'x'.repeat(1000);
    const elements = Array.from({ length: Math.ceil(limits.frameBytesMax / 1000) + 1 }, (_, i) => `${String(i).padStart(4, '0')}${big}`);
    s.call('rpush', 'k', ...elements);
    const over = sort(s, 'k', 'ALPHA');
    expect(over).toMatch(/^ERR:LIMIT_EXCEEDED the SORT reply would be over \d+ bytes \(one frame\)/);
    expect(sort(s, 'k', 'ALPHA', 'LIMIT', '0', '5')).toEqual(elements.slice(0, 5));
    expect(sort(s, 'k', 'ALPHA', 'STORE', 'd')).toBe(elements.length);
    // GET multiplies the reply: a key's worth per pattern per element counts too.
    expect(sort(s, 'k', 'ALPHA', 'LIMIT', '0', '5', 'GET', '#', 'GET', '#')).toHaveLength(10);
  });
});

describe('keyspace events (core/resp/keyspace-events.ts)', () => {
  it('sortstore on the destination when stored, del when an empty result deleted it, nothing for a read', () => {
    const KEA = parseKeyspaceEventFlags('KEA')!;
    const events = (line: string, reply: Reply): string[] => keyspaceEvents(KEA, 'sort', line.split(' ').map((w) => enc.encode(w)), { requests: [], replies: [reply] }, 0)
      .map((e) => `${e.event} ${dec.decode(e.key)}`);
    expect(events('SORT k ALPHA STORE d', { ok: true, data: { t: 'int', v: 2n }, version: 7 })).toEqual(['sortstore d']);
    expect(events('SORT k STORE x store d', { ok: true, data: { t: 'int', v: 0n }, version: 7 })).toEqual(['del d']);
    expect(events('SORT k STORE d', { ok: true, data: { t: 'int', v: 0n } })).toEqual([]);
    expect(events('SORT k ALPHA', { ok: true, data: { t: 'array', v: [] } })).toEqual([]);
  });
});
