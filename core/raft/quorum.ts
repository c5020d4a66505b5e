// Majority arithmetic over a set of voters: the highest index a majority has
// (the commit candidate), and the outcome of a vote. Learners never count.

import { assert } from '../assert.js';
import type { ReplicaId } from './raft-types.js';

export type VoteOutcome = 'won' | 'lost' | 'pending';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** quorumIndex's match indexes, sorted descending; it grows to the largest voter set seen. */
const matchScratch: number[] = [];

/**
 * The largest index that at least a majority of voters have reached:
 * sort the match indexes descending and take the majority-th.
 */
export function quorumIndex(voters: readonly ReplicaId[], matchOf: (id: ReplicaId) => number): number {
  assert(voters.length > 0, 'a group has at least one voter');
  if (voters.length === 1) return matchOf(voters[0]!); // a group of one commits on every persist: no array, no sort
  // Called after every append answer: an insertion sort into a reused scratch array (a handful of voters), no
  // array and comparator closure per call. Synchronous and not re-entered (matchOf only reads), so one scratch serves all.
  const matches = matchScratch;
  const n = voters.length;
  for (let i = 0; i < n; i++) {
    const match = matchOf(voters[i]!);
    let j = i;
    for (; j > 0 && matches[j - 1]! < match; j--) matches[j] = matches[j - 1]!;
    matches[j] = match;
  }
  return matches[majority(n) - 1]!;
}

/** Tally votes: `granted` maps voter -> answer for those that answered. */
export function voteOutcome(voters: readonly ReplicaId[], granted: ReadonlyMap<ReplicaId, boolean>): VoteOutcome {
  let yes = 0;
  let no = 0;
  for (const id of voters) {
    const answer = granted.get(id);
    if (answer === true) yes++;
    else if (answer === false) no++;
  }
  const need = majority(voters.length);
  if (yes >= need) return 'won';
  if (voters.length - no < need) return 'lost';
  return 'pending';
}

/** True when the replicas in `active` (plus those `alwaysActive`) form a majority of voters. */
export function hasQuorum(voters: readonly ReplicaId[], isActive: (id: ReplicaId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (isActive(id)) count++;
  return count >= majority(voters.length);
}
