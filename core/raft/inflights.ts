// The in-flight window of one follower (etcd's tracker.Inflights): the appends
// with entries a leader sent in replicate state and the follower has not
// acknowledged yet, oldest first, each by its last index, its data bytes and
// the heartbeat answer count when it left. The leader sends optimistically
// while the window has room, so a write does not wait for the previous one's
// round trip; an acknowledgement up to an index frees every append ending
// there or before.
//
// What must hold (asserted): the window never holds more than `appendsMax`
// appends; its byte count is the sum of what it holds (freeing an append
// twice would break it); last indexes strictly increase.

import { assert } from '../assert.js';

/**
 * Unacknowledged appends per follower (etcd's MaxInflightMsgs, and its
 * example value). Each append carries what a leader's turn proposed, so 256
 * keeps a follower's pipe full across a round trip of hundreds of turns; a
 * bound, so a follower that stopped answering costs the leader at most this
 * many records until a heartbeat answer shows it alive.
 */
export const RAFT_INFLIGHT_APPENDS_MAX = 256;
/**
 * Unacknowledged entry bytes per follower (etcd's MaxInflightBytes): a slow
 * follower otherwise gets up to 256 appends of `appendBytesMax` (1 MiB)
 * queued in the network and its peer inbox. 8 MiB is 8 full appends, far
 * more than a round trip of client writes (the ring bounds a turn's bytes).
 * The window is full once it holds this many, so one append over it still
 * goes: a single large append never stalls.
 */
export const RAFT_INFLIGHT_BYTES_MAX = 8 * 1024 * 1024;

export interface InflightLimits {
  readonly appendsMax: number;
  readonly bytesMax: number;
}

export class Inflights {
  /** Last index of each unacknowledged append, oldest first. */
  private readonly lastIndexes: number[] = [];
  /** For each append: its entries' data bytes. */
  private readonly sizes: number[] = [];
  /** For each append: the heartbeat answer count when it left. */
  private readonly sentAtAnswers: number[] = [];
  private bytesInFlight = 0;

  constructor(private readonly limits: InflightLimits, private readonly doubleFreeBug = false) {
    assert(limits.appendsMax > 0 && limits.bytesMax > 0, 'the in-flight window holds at least one append');
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  get bytes(): number {
    return this.bytesInFlight;
  }

  /** No more appends may leave until some are acknowledged (or one is let go, freeFirst). */
  full(): boolean {
    return this.lastIndexes.length >= this.limits.appendsMax || this.bytesInFlight >= this.limits.bytesMax;
  }

  /** An append ending at `lastIndex` with `bytes` of entry data left when `answers` heartbeat answers had come. */
  add(lastIndex: number, bytes: number, answers: number): void {
    const count = this.lastIndexes.length;
    assert(count < this.limits.appendsMax, 'an append leaves only through a window with room');
    assert(count === 0 || this.lastIndexes[count - 1]! < lastIndex, 'appends in flight end at increasing indexes');
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.sentAtAnswers.push(answers);
    this.bytesInFlight += bytes;
  }

  /** The follower holds everything up to `index`: free every append ending there or before. */
  freeTo(index: number): void {
    let done = 0;
    let freed = 0;
    while (done < this.lastIndexes.length && this.lastIndexes[done]! <= index) freed += this.sizes[done++]!;
    if (done === 0) return;
    this.free(done, freed);
  }

  /** Free the oldest append, acknowledged or not: a full window of lost appends would otherwise stall for good. */
  freeFirst(): void {
    if (this.lastIndexes.length > 0) this.free(1, this.sizes[0]!);
  }

  private free(count: number, bytes: number): void {
    this.lastIndexes.splice(0, count);
    this.sizes.splice(0, count);
    this.sentAtAnswers.splice(0, count);
    // The planted bug counts the freed bytes twice (as if each append were freed twice).
    this.bytesInFlight -= this.doubleFreeBug ? 2 * bytes : bytes;
    assert(this.bytesInFlight >= 0 && (this.lastIndexes.length > 0 || this.bytesInFlight === 0),
      () => `in-flight bytes ${this.bytesInFlight} disagree with the ${this.lastIndexes.length} appends held`);
  }

  /** Heartbeat answer count when the oldest append left (undefined: none in flight). */
  oldestSentAtAnswers(): number | undefined {
    return this.sentAtAnswers[0];
  }

  clear(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.sentAtAnswers.length = 0;
    this.bytesInFlight = 0;
  }
}
