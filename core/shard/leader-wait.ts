// Requests that reach a group while it has no leader to serve them: an
// election, or a leadership transfer, is under way. Refusing them at once
// turns every leader change into client errors (RESP's TRYAGAIN, which
// node-redis and many other clients do not retry). So the worker holds them
// here, in arrival order, until the group has a leader again (then each is
// served here or redirected to that leader, in order) or LEADER_WAIT_TICKS
// pass (then refused as before). etcd does the same: a proposal waits for a
// leader until its request times out.
//
// Order: while a group holds any request, every later request of that group
// is held behind it, so a pipeline's requests still take effect in the order
// they were sent.

import { assert } from '../assert.js';
import type { Request } from '../protocol/ops.js';
import { DEFAULT_RAFT_TUNING } from '../raft/raft.js';

/**
 * Ticks a request may wait for its group's leader: the longest election
 * timeout (one second at the node's 50 ms tick), long enough for an election
 * or a transfer (abandoned after an election timeout) to finish.
 */
export const LEADER_WAIT_TICKS = 2 * DEFAULT_RAFT_TUNING.electionTicks;
/**
 * Requests, and bytes of them (as their ring records), one group may hold:
 * what one group's election can keep in memory, whatever the clients send
 * meanwhile. Past either, a request is refused at once.
 */
export const LEADER_WAIT_REQUESTS_MAX = 16_384;
export const LEADER_WAIT_BYTES_MAX = 64 * 1024 * 1024;

/** What a worker's waits came to (counted across its lifetime; the simulator sums them over restarts). */
export interface LeaderWaitCounts {
  /** Requests held for a leader. */
  held: number;
  /** Held requests refused after LEADER_WAIT ticks, or at once because the group held its most (requests or bytes). */
  refused: number;
}

export interface WaitingRequest {
  readonly tag: number;
  /** Owned: no view into ring memory (the ring record is released when held). */
  readonly request: Request;
  /** Its ring record's size: what it counts against LEADER_WAIT_BYTES_MAX. */
  readonly bytes: number;
  /** The worker's tick count when it arrived. */
  readonly sinceTick: number;
}

/** One group's held requests, oldest first. */
export class LeaderWait {
  private readonly items: WaitingRequest[] = [];
  private head = 0;
  private heldBytes = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether one more request of `bytes` may be held. */
  fits(bytes: number): boolean {
    return this.size < LEADER_WAIT_REQUESTS_MAX && this.heldBytes + bytes <= LEADER_WAIT_BYTES_MAX;
  }

  push(item: WaitingRequest): void {
    assert(this.fits(item.bytes), 'a group holds at most LEADER_WAIT_REQUESTS_MAX requests of LEADER_WAIT_BYTES_MAX bytes');
    this.heldBytes += item.bytes;
    assert(this.size === 0 || this.items[this.items.length - 1]!.sinceTick <= item.sinceTick, 'requests are held in arrival order');
    this.items.push(item);
  }

  /** The tick the oldest request arrived at (Infinity when empty). */
  get oldestTick(): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : this.items[this.head]!.sinceTick;
  }

  /** The newest (the mutation suite's wrong release order: test/sim/leader-wait.test.ts). */
  pop(): WaitingRequest {
    assert(this.size > 0, 'pop from an empty wait');
    const item = this.items.pop()!;
    this.heldBytes -= item.bytes;
    this.resetIfEmpty();
    return item;
  }

  shift(): WaitingRequest {
    assert(this.size > 0, 'shift from an empty wait');
    const item = this.items[this.head]!;
    this.heldBytes -= item.bytes;
    this.items[this.head++] = undefined as unknown as WaitingRequest;
    this.resetIfEmpty();
    return item;
  }

  /** Emptied: start the array over, so released slots do not pile up at its front. */
  private resetIfEmpty(): void {
    if (this.head !== this.items.length) return;
    this.items.length = 0;
    this.head = 0;
  }
}
