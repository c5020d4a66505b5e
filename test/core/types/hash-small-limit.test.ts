import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { ShardCalls } from './shard-calls.js';

describe('a compact hash on a node with a small value limit', () => {
  it('converts to the large table when its encoding would pass valueBytesMax (found by the simulator)', () => {
    const s = new ShardCalls(1_000_000, makeLimits({ valueBytesMax: 512, keyBytesMax: 64, frameBytesMax: 64 * 1024 }));
    for (let i = 0; i < 10; i++) expect(s.int('hset', 'h', `field-${i}`, 'v'.repeat(60))).toBe(1);
    const encoding = s.data('object', 'ENCODING', 'h');
    expect(typeof encoding !== 'string' && encoding.t === 'bytes' && new TextDecoder().decode(encoding.v)).toBe('hashtable');
    expect(s.int('hlen', 'h')).toBe(10);
  });
});
