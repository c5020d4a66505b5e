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
//   recovering --(an append from a leader of term L >= the persisted term:
//                 L and its commit index are remembered)-->
//   waiting    --(own commit >= max(that commit, the persisted commit), and
//                 the entry at its commit index is of term >= L)--> repaired
//
// The leader of term L holds every entry that could have been committed with
// this replica's lost acknowledgements (it was elected without this
// replica's vote, by voters whose logs are whole; an old leader still
// counting a late acknowledgement commits only entries that the new leader's
// voters hold). Its commit index when first heard is not enough: such an
// entry may be in its log yet not committed (the old leader committed it on
// an acknowledgement that arrived late; the new one commits it only with an
// entry of its own term). Committing an entry of term >= L commits the whole
// prefix of that leader's log, so once this replica's commit covers one, it
// holds every entry it may have acknowledged before the damage. (Found by
// the 10,000-seed sweep, seed 946: the gate opened at the first commit index
// heard, the repaired replica voted, and a leader without entry 1 won.)

import type { HardState } from './raft-types.js';

export class RepairGate {
  /** The commit index to reach: the persisted one, raised by the first leader append heard. */
  private commitTarget: number;
  private heardLeader = false;
  /** The term of the first leader heard; the commit must reach an entry of this term or later. */
  private heardTerm = 0;

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
    this.heardTerm = term;
    this.commitTarget = Math.max(this.commitTarget, leaderCommit);
  }

  /** Whether the replica holds again everything it may have acknowledged (its commit index is `committed`, of term `committedTerm`). */
  repaired(committed: number, committedTerm: number): boolean {
    return this.heardLeader && committed >= this.commitTarget && committedTerm >= this.heardTerm;
  }

  /** For status pages and logs: the commit index the repair waits for, or null before a leader was heard. */
  get target(): number | null {
    return this.heardLeader ? this.commitTarget : null;
  }
}
