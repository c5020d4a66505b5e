// The rule for a replica whose storage lost state it may have acknowledged
// (a damaged record in the middle of its log, a damaged snapshot: see
// core/storage/repair-marker.ts), after protocol-aware recovery (Alagappan
// et al., FAST'18, "CTRL"): it rejoins as a follower that neither grants nor
// seeks votes until a leader has brought it back at least as far as it had
// been. Why: the entries it lost may be committed with its acknowledgement
// counted; if it voted with its short log it could elect a leader that lacks
// them (nobody else in that majority need have them), and if it forgot its
// vote it could vote twice in one term. It still answers appends and
// heartbeats (what it acknowledges now it really holds), so it counts toward
// commits of new entries like any follower.
//
//   recovering --(an append from a leader of a term >= the persisted term:
//                 its commit index is remembered)-->
//   waiting    --(own commit >= max(that commit, the persisted commit))--> repaired
//
// The leader holds every committed entry (Leader Completeness), so once this
// replica's commit reaches what the leader had committed when it first heard
// from it, it holds everything that was committed with its lost
// acknowledgements. Residual risk (docs/durability.md): an acknowledgement
// of a lost entry still in flight to the leader when the repair ends.

import type { HardState } from './raft-types.js';

export class RepairGate {
  /** The commit index to reach: the persisted one, raised by the first leader append heard. */
  private commitTarget: number;
  private heardLeader = false;

  constructor(
    /** The hard state the replica had persisted before the damage (zeros when unknown). */
    readonly persisted: HardState,
  ) {
    this.commitTarget = persisted.commit;
  }

  /** An append from the leader of `term` announcing `leaderCommit`. */
  onLeaderAppend(term: number, leaderCommit: number): void {
    if (this.heardLeader || term < this.persisted.term) return;
    this.heardLeader = true;
    this.commitTarget = Math.max(this.commitTarget, leaderCommit);
  }

  /** Whether the replica holds again everything it may have acknowledged (its commit index is `committed`). */
  repaired(committed: number): boolean {
    return this.heardLeader && committed >= this.commitTarget;
  }

  /** For status pages and logs: the commit index the repair waits for, or null before a leader was heard. */
  get target(): number | null {
    return this.heardLeader ? this.commitTarget : null;
  }
}
