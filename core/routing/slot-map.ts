// slot -> shard -> worker. A node owns shards; each shard owns a contiguous
// range of slots and lives on exactly one worker. The table is explicit (not a
// formula at each lookup) because the cluster will move slots between shards
// and nodes by rewriting it.

import { assert } from '../assert.js';
import { SLOT_COUNT } from './slot-hash.js';

export class SlotMap {
  /** shard index for each slot */
  private readonly shardOfSlot: Uint16Array;
  /** worker index for each shard */
  private readonly workerOfShard: Uint16Array;

  constructor(readonly shardCount: number, readonly workerCount: number) {
    assert(Number.isInteger(shardCount) && shardCount >= 1 && shardCount <= SLOT_COUNT, 'shardCount in 1..16384');
    assert(Number.isInteger(workerCount) && workerCount >= 1 && workerCount <= shardCount, 'workerCount in 1..shardCount');
    this.shardOfSlot = new Uint16Array(SLOT_COUNT);
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      // Contiguous ranges, as Redis Cluster assigns them: shard s owns
      // [ceil(s*N/S), ceil((s+1)*N/S)).
      this.shardOfSlot[slot] = Math.floor((slot * shardCount) / SLOT_COUNT);
    }
    this.workerOfShard = new Uint16Array(shardCount);
    for (let shard = 0; shard < shardCount; shard++) this.workerOfShard[shard] = shard % workerCount;
  }

  shardOf(slot: number): number {
    return this.shardOfSlot[slot]!;
  }

  workerOf(shard: number): number {
    return this.workerOfShard[shard]!;
  }

  /** Shards owned by a worker, in ascending order. */
  shardsOfWorker(worker: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.shardCount; s++) if (this.workerOfShard[s] === worker) out.push(s);
    return out;
  }

  /** The inclusive slot range [first, last] a shard owns. */
  slotRangeOf(shard: number): [number, number] {
    let first = -1;
    let last = -1;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (this.shardOfSlot[slot] === shard) {
        if (first < 0) first = slot;
        last = slot;
      }
    }
    return [first, last];
  }
}
