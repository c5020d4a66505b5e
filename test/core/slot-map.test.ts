// core/routing/slot-map.ts: every slot has exactly one shard, each shard one
// contiguous non-empty range in ascending order, each shard one worker.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLOT_COUNT } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';

/**
 * Ranges read off shardOf directly: [first, last] per shard. Throws unless
 * slot 0 is on shard 0 and each next range starts right after the previous,
 * on the next shard (plain checks: expect() per slot would be slow).
 */
function rangesOf(map: SlotMap): [number, number][] {
  const ranges: [number, number][] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const shard = map.shardOf(slot);
    if (shard === ranges.length - 1) ranges[shard]![1] = slot;
    else if (shard === ranges.length) ranges.push([slot, slot]);
    else throw new Error(`slot ${slot} -> shard ${shard}: shards must own contiguous ascending ranges (${ranges.length} ranges so far)`);
  }
  return ranges;
}

describe('SlotMap', () => {
  it('partitions all 16384 slots into contiguous ascending ranges, one per shard, balanced', () => {
    fc.assert(fc.property(
      fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(1, 2, 3, 7, 1000, 16383, 16384)),
      fc.integer({ min: 1, max: 64 }),
      (shardCount, workersWanted) => {
        const workerCount = Math.min(workersWanted, shardCount);
        const map = new SlotMap(shardCount, workerCount);
        const ranges = rangesOf(map);
        expect(ranges).toHaveLength(shardCount);
        expect(ranges[shardCount - 1]![1]).toBe(SLOT_COUNT - 1);
        const sizes = ranges.map(([first, last]) => last - first + 1);
        // Balanced: sizes differ by at most one slot.
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        if (shardCount <= 64) {
          for (let s = 0; s < shardCount; s++) expect(map.slotRangeOf(s)).toEqual(ranges[s]);
        }
        // Workers: each shard on one worker in range, every worker busy, shards listed ascending.
        const owned: number[] = [];
        for (let w = 0; w < workerCount; w++) {
          const shards = map.shardsOfWorker(w);
          expect(shards.length).toBeGreaterThan(0);
          expect(shards.every((s, i) => map.workerOf(s) === w && (i === 0 || s > shards[i - 1]!))).toBe(true);
          owned.push(...shards);
        }
        expect(owned.sort((a, b) => a - b)).toEqual([...Array(shardCount).keys()]);
      },
    ), { numRuns: 30 });
  });

  it('assigns contiguous ranges for 3 shards', () => {
    const map = new SlotMap(3, 3);
    expect([0, 1, 2].map((s) => map.slotRangeOf(s))).toEqual([[0, 5461], [5462, 10922], [10923, 16383]]);
  });

  it('refuses impossible shapes', () => {
    expect(() => new SlotMap(0, 1)).toThrow();
    expect(() => new SlotMap(SLOT_COUNT + 1, 1)).toThrow();
    expect(() => new SlotMap(4, 5)).toThrow();
    expect(() => new SlotMap(4, 0)).toThrow();
    expect(() => new SlotMap(2.5, 1)).toThrow();
  });
});
