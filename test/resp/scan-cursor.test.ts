// core/resp/scan-cursor.ts: a node's scan cursor (shard, store cursor) and
// RESP's integer cursor map onto each other exactly, 0 is start and done, and
// an integer no scan of this node hands out is refused (ERR invalid cursor),
// never taken as a restart.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeShardCursor } from '../../core/protocol/scan-cursor.js';
import { nodeCursorOf, respCursorOf } from '../../core/resp/scan-cursor.js';
import { encodeScanCursor } from '../../core/routing/split.js';

describe('RESP scan cursors', () => {
  it('round-trip every (shard, store cursor) of a node, exactly, as a safe integer', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 0xffff }), fc.nat(), fc.nat({ max: 0xffffffff }), (shardCount, s, inner) => {
      const shard = s % shardCount;
      const nodeCursor = encodeScanCursor(shard, encodeShardCursor(inner));
      const n = respCursorOf(nodeCursor, shardCount);
      expect(n).not.toBeNull();
      expect(Number.isSafeInteger(n)).toBe(true);
      if (shard === 0 && inner === 0) expect(n).toBe(0); // shard 0 from its start is the scan's start
      else expect(Array.from(nodeCursorOf(n!, shardCount)!)).toEqual(Array.from(nodeCursor));
    }));
  });

  it('0 is the start; the empty (done) cursor is 0', () => {
    expect(nodeCursorOf(0, 4)).toEqual(new Uint8Array(0));
    expect(respCursorOf(new Uint8Array(0), 4)).toBe(0);
  });

  it('refuses integers naming no shard of the node, negatives and non-integers', () => {
    expect(nodeCursorOf(4 * 2 ** 32, 4)).toBeNull();
    expect(nodeCursorOf(3 * 2 ** 32 + 5, 4)).not.toBeNull();
    expect(nodeCursorOf(-1, 4)).toBeNull();
    expect(nodeCursorOf(1.5, 4)).toBeNull();
    expect(nodeCursorOf(2 ** 53, 4)).toBeNull();
    expect(respCursorOf(Uint8Array.of(0, 9, 1), 4)).toBeNull(); // shard 9 of 4
    expect(respCursorOf(Uint8Array.of(0, 1, 1, 2), 4)).toBeNull(); // inner cursor of 2 bytes
  });
});
