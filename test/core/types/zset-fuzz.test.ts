// Hostile arguments for every sorted-set command, through the Shard as a
// door would send them (validated first): each gets a reply (a value or an
// error), never a thrown assertion (which would stop a worker), and the
// shard's state stays consistent with itself (a snapshot restores to the
// same digest).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import { ZSET_COMMANDS } from '../../../core/types/zset/zset-commands.js';
import { ZDriver } from './zset-driver.js';

const WORDS = [
  'z', 'big', 's', 'none', 'dst', '0', '1', '2', '3', '-1', '-2', '100', '200', '99999999999999999999', '-9223372036854775808',
  '9223372036854775807', '1e3', '1e400', '1e-400', 'inf', '-inf', '+inf', '(1', '(inf', '[a', '(a', '-', '+', '[', '(', '',
  'nan', '0x10', ' 1', 'NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'BYSCORE', 'BYLEX', 'REV', 'LIMIT', 'WITHSCORES', 'WITHSCORE',
  'WEIGHTS', 'AGGREGATE', 'SUM', 'MIN', 'MAX', 'COUNT', 'MATCH', '*', 'm1', 'm2', 'constructor', '__proto__',
];
const arg = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const call = fc.tuple(fc.constantFrom(...ZSET_COMMANDS.map((c) => c.name)), fc.array(arg, { maxLength: 8 }));

describe('sorted-set commands with hostile arguments', () => {
  it('always reply, never throw, and keep a consistent state', () => {
    fc.assert(fc.property(fc.array(call, { minLength: 1, maxLength: 40 }), (calls) => {
      const d = new ZDriver(makeLimits({ keyBytesMax: 256, valueBytesMax: 2048, frameBytesMax: 16 * 1024 }));
      d.run('zadd', 'z', 1, 'm1', 2, 'm2', 2, 'a');
      d.run('zadd', 'big', ...Array.from({ length: 300 }, (_, i) => [i % 9, `m${i}`]).flat());
      d.shard.apply({ index: ++d.index, term: 1, timestampMs: d.nowMs, command: { op: 'set', key: new TextEncoder().encode('s'), value: new Uint8Array(1) } });
      for (const [name, args] of calls) {
        const reply = d.raw(name, ...args);
        expect(typeof reply.ok).toBe('boolean');
      }
      expect(d.restored().shard.digest()).toBe(d.shard.digest());
    }), { numRuns: 300 });
  });
});
