// Where a replica's ReadIndex contexts start. A follower's forwarded read is
// answered by context alone (core/raft/read-index.ts ForwardedReads), so two
// incarnations of one replica (a restart within a term) must not share
// numbers: each starts at a random point in [1, 2^52], and counts up from
// there. Two incarnations' numbers meet only if their starts lie closer than
// the reads one of them made (odds about reads / 2^51), and the counter
// stays below 2^53, a safe integer the peer codec's UInt64 carries exactly,
// for 2^52 reads.

import type { Random } from '../random.js';

/** A fresh first context (at least 1: context 0 means "no read" on the wire). */
export function drawReadContextBase(random: Random): number {
  const high = random.int(0, 2 ** 20 - 1);
  const low = random.int(0, 2 ** 32 - 1);
  return high * 2 ** 32 + low + 1;
}
