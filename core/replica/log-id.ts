// A group's log identity ("logId"): a random number drawn by the leader
// that proposes a new log's first entry, carried in that entry (Raft's
// first no-op, core/replica/entry-codec.ts), kept in the shard's applied
// state and in its snapshots (core/shard/snapshot.ts). Every replica of one
// log applies the same first entry or restores a snapshot of it, so all
// agree on it; a new log (an in-memory node or cluster started again, whose
// indexes begin at 1 again) draws another. A log index means the same entry
// on two replicas exactly when their logIds are equal, which is what makes a
// watch's resume position portable across replicas (core/watch/resume-token.ts).

import { assert } from '../assert.js';
import type { Random } from '../random.js';

/** No identity known: a log started before logIds existed, or not yet begun (nothing applied). */
export const LOG_ID_NONE = 0;

/**
 * Bits of a logId: 52, so it is a safe integer (an f64 in entries and
 * snapshots, a varint in tokens) and two logs collide with odds of about
 * 2^-52 per pair.
 */
const LOG_ID_HIGH_BITS = 20;

/** A fresh logId from the node's seeded PRNG (never LOG_ID_NONE). */
export function drawLogId(random: Random): number {
  const high = random.int(0, 2 ** LOG_ID_HIGH_BITS - 1);
  const low = random.int(0, 2 ** 32 - 1);
  const id = high * 2 ** 32 + low;
  return id === LOG_ID_NONE ? 1 : id;
}

export function isLogId(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value < 2 ** (LOG_ID_HIGH_BITS + 32);
}

assert(isLogId(2 ** (LOG_ID_HIGH_BITS + 32) - 1) && 2 ** (LOG_ID_HIGH_BITS + 32) <= Number.MAX_SAFE_INTEGER, 'a logId is a safe integer');
