// The bounds of the watch feature, each with why. Runtimes may pass smaller
// ones (tests do, to reach COMPACTED and cancellation quickly).

import { assert } from '../assert.js';
import { MiB } from '../limits.js';

export interface WatchLimits {
  /**
   * Bytes of changes (keys, values and WATCH_CHANGE_OVERHEAD_BYTES each) a
   * group's history keeps for resuming watchers. A watcher that fell further
   * behind than this gets COMPACTED and re-reads. 64 MiB holds eight of the
   * largest values, or a million small changes' worth of keys: minutes of
   * a busy shard, enough to ride out a reconnect.
   */
  historyBytesMax: number;
  /** Changes a group's history keeps whatever their size (bounds the array and the search in it). */
  historyChangesMax: number;
  /**
   * Bytes of change frames a connection may leave unsent (its socket's
   * buffer plus what waits for the next flush) before its watches are
   * cancelled with LIMIT_EXCEEDED: a watcher that does not read must cost the
   * node bounded memory and never slow the writers. Below the connection's
   * clientOutputBytesMax, so the cancellation frame itself still fits.
   */
  bufferBytesMax: number;
  /** Watches one connection may hold open (each costs a registration the feed checks on every change of its groups). */
  watchesPerConnectionMax: number;
}

/** Counted per change on top of its key and value: the object, its fields, the array slot. */
export const WATCH_CHANGE_OVERHEAD_BYTES = 96;

export const DEFAULT_WATCH_LIMITS: Readonly<WatchLimits> = Object.freeze({
  historyBytesMax: 64 * MiB,
  historyChangesMax: 1_000_000,
  bufferBytesMax: 16 * MiB,
  watchesPerConnectionMax: 64,
});

export function checkWatchLimits(limits: WatchLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    assert(Number.isSafeInteger(value) && value > 0, () => `watch limit ${name} must be a positive integer, got ${String(value)}`);
  }
}

checkWatchLimits(DEFAULT_WATCH_LIMITS);
