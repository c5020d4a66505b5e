// Numbers each worker publishes about itself in shared memory, so the IO
// thread reads them on a metrics scrape or INFO without a postMessage or a
// ring round trip: busy time, store bytes, keys with a TTL, and requests
// held for a group's leader (core/shard/leader-wait.ts). Only the
// worker writes; the IO thread only reads. 64-bit words through Atomics, so
// a reader never sees a torn value.

import { assert } from '../../core/assert.js';
import type { LeaderWaitCounts } from '../../core/shard/leader-wait.js';

const BUSY_NS = 0;
const DATA_BYTES = 1;
const EXPIRING_KEYS = 2;
const EXPIRED_KEYS = 3;
const HELD_FOR_LEADER = 4;
const REFUSED_AFTER_LEADER_WAIT = 5;
const WORDS = 6;

export function workerStatsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(WORDS * 8);
}

export interface WorkerStatsSnapshot {
  /** Seconds the worker spent working rather than waiting for requests or reply space. */
  busySeconds: number;
  /** Bytes of keys and values its shards hold. */
  dataBytes: number;
  /** Keys with a TTL in its shards. */
  expiringKeys: number;
  /** Keys the active expiry sweep removed since start (keys found expired on access are not counted). */
  expiredKeys: number;
  /** Requests held since start because their group had no leader, and those of them refused after the wait (or past its bounds). */
  heldForLeader: number;
  refusedAfterLeaderWait: number;
}

export function readWorkerStats(buffer: SharedArrayBuffer): WorkerStatsSnapshot {
  const words = new BigInt64Array(buffer);
  return {
    busySeconds: Number(Atomics.load(words, BUSY_NS)) / 1e9,
    dataBytes: Number(Atomics.load(words, DATA_BYTES)),
    expiringKeys: Number(Atomics.load(words, EXPIRING_KEYS)),
    expiredKeys: Number(Atomics.load(words, EXPIRED_KEYS)),
    heldForLeader: Number(Atomics.load(words, HELD_FOR_LEADER)),
    refusedAfterLeaderWait: Number(Atomics.load(words, REFUSED_AFTER_LEADER_WAIT)),
  };
}

/**
 * The worker's side. Busy time is the time between waits: `pause` before
 * each Atomics.wait, `resume` after it. It is also published on `publish`
 * (the worker's periodic sweep), so a worker that never sleeps under load
 * still shows its busy time, at most one sweep period late.
 */
export class WorkerStatsWriter {
  private readonly words: BigInt64Array;
  private busyMs = 0;
  private sinceMs: number | null;

  constructor(buffer: SharedArrayBuffer, nowMs: number) {
    assert(buffer.byteLength >= WORDS * 8, 'worker stats buffer too small');
    this.words = new BigInt64Array(buffer);
    this.sinceMs = nowMs;
  }

  /** The worker is about to wait (times from performance.now()). */
  pause(nowMs: number): void {
    if (this.sinceMs === null) return;
    this.busyMs += nowMs - this.sinceMs;
    this.sinceMs = null;
    this.storeBusy();
  }

  resume(nowMs: number): void {
    this.sinceMs = nowMs;
  }

  /** Publish busy time so far, the shards' sizes and the leader-wait counts. */
  publish(nowMs: number, dataBytes: number, expiringKeys: number, expiredKeys: number, leaderWait: LeaderWaitCounts): void {
    if (this.sinceMs !== null) {
      this.busyMs += nowMs - this.sinceMs;
      this.sinceMs = nowMs;
    }
    this.storeBusy();
    Atomics.store(this.words, DATA_BYTES, BigInt(dataBytes));
    Atomics.store(this.words, EXPIRING_KEYS, BigInt(expiringKeys));
    Atomics.store(this.words, EXPIRED_KEYS, BigInt(expiredKeys));
    Atomics.store(this.words, HELD_FOR_LEADER, BigInt(leaderWait.held));
    Atomics.store(this.words, REFUSED_AFTER_LEADER_WAIT, BigInt(leaderWait.refused));
  }

  private storeBusy(): void {
    Atomics.store(this.words, BUSY_NS, BigInt(Math.round(this.busyMs * 1e6)));
  }
}
