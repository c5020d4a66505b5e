// ZUNION / ZINTER / ZDIFF, their STORE forms and ZINTERCARD with plain sets
// as inputs, each member scored 1 (as Redis), for every set encoding: a node
// with small thresholds holds an intset, a listpack and a hash set side by side.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import { DEFAULT_COLLECTION_THRESHOLDS } from '../../../core/types/collection-thresholds.js';
import { ShardCalls } from './shard-calls.js';

const dec = new TextDecoder();

function flat(d: DataValue | string): (string | number)[] {
  if (typeof d === 'string') return [d];
  if (d.t === 'bytes') return [dec.decode(d.v)];
  if (d.t === 'status') return [d.v];
  if (d.t === 'double') return [d.v];
  if (d.t === 'int') return [Number(d.v)];
  if (d.t === 'array' || d.t === 'pairs' || d.t === 'set' || d.t === 'map') return d.v.flatMap(flat);
  return [`?${d.t}`];
}

function node(): ShardCalls {
  const limits = makeLimits({ collections: { ...DEFAULT_COLLECTION_THRESHOLDS, setIntsetEntriesMax: 4, setCompactEntriesMax: 4 } });
  const n = new ShardCalls(1_000_000, limits);
  n.call('sadd', 'ints', '1', '2', '3');
  n.call('sadd', 'words', 'a', 'b', 'c');
  n.call('sadd', 'big', 'a', 'x', '1', '5', '6', '7');
  n.call('zadd', 'z', '1', 'a', '2', 'b', '5', '1', '7', 'x');
  return n;
}

describe('sorted-set algebra over plain sets', () => {
  it('reads every set encoding as members scored 1', () => {
    const n = node();
    expect(['ints', 'words', 'big'].map((k) => flat(n.data('object', 'encoding', k))[0])).toEqual(['intset', 'listpack', 'hashtable']);
    expect(flat(n.data('zunion', '2', 'z', 'ints', 'WITHSCORES'))).toEqual(['2', 1, '3', 1, 'a', 1, 'b', 2, '1', 6, 'x', 7]);
    expect(flat(n.data('zunion', '3', 'ints', 'words', 'z', 'WEIGHTS', '2', '3', '1', 'AGGREGATE', 'MAX', 'WITHSCORES')))
      .toEqual(['2', 2, '3', 2, 'a', 3, 'b', 3, 'c', 3, '1', 5, 'x', 7]);
    expect(flat(n.data('zinter', '2', 'words', 'z', 'WEIGHTS', '10', '1', 'WITHSCORES'))).toEqual(['a', 11, 'b', 12]);
    expect(flat(n.data('zinter', '2', 'big', 'z', 'AGGREGATE', 'MIN', 'WITHSCORES'))).toEqual(['1', 1, 'a', 1, 'x', 1]);
    expect(flat(n.data('zdiff', '2', 'big', 'z', 'WITHSCORES'))).toEqual(['5', 1, '6', 1, '7', 1]);
    expect(flat(n.data('zdiff', '2', 'z', 'words', 'WITHSCORES'))).toEqual(['1', 5, 'x', 7]);
    expect(flat(n.data('zintercard', '2', 'big', 'z'))).toEqual([3]);
    expect(flat(n.data('zintercard', '2', 'big', 'z', 'LIMIT', '2'))).toEqual([2]);
    expect(flat(n.data('zintercard', '2', 'z', 'big', 'LIMIT', '2'))).toEqual([2]);
  });

  it('stores the result as a sorted set, even over the set it read', () => {
    const n = node();
    expect(n.int('zunionstore', 'dst', '2', 'ints', 'z')).toBe(6);
    expect(flat(n.data('zrange', 'dst', '0', '-1', 'WITHSCORES'))).toEqual(['2', 1, '3', 1, 'a', 1, 'b', 2, '1', 6, 'x', 7]);
    expect(n.int('zinterstore', 'dst', '2', 'big', 'ints')).toBe(1);
    expect(flat(n.data('zrange', 'dst', '0', '-1', 'WITHSCORES'))).toEqual(['1', 2]);
    expect(n.int('zdiffstore', 'dst', '2', 'big', 'words')).toBe(5);
    expect(n.int('zunionstore', 'big', '1', 'big', 'WEIGHTS', '3')).toBe(6);
    expect(flat(n.data('type', 'big'))).toEqual(['zset']);
    expect(flat(n.data('zrange', 'big', '0', '-1', 'WITHSCORES'))).toEqual(['1', 3, '5', 3, '6', 3, '7', 3, 'a', 3, 'x', 3]);
  });

  it('still answers WRONGTYPE for other types', () => {
    const n = node();
    n.set('str', 'text');
    n.call('rpush', 'list', 'a');
    expect(flat(n.data('zunion', '2', 'z', 'str'))[0]).toMatch(/^ERR:WRONG_TYPE/);
    expect(flat(n.data('zinter', '2', 'ints', 'list'))[0]).toMatch(/^ERR:WRONG_TYPE/);
  });
});
