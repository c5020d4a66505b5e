// Raft's safety invariants, checked on every step of a replicated run (after
// every drain, tick and peer delivery of every worker), apart from the fakes
// they watch:
// - at most one leader per term per group;
// - a replica's commit index never goes back (within one process);
// - every replica holds the same entry (term and data) at a committed index,
//   so no committed entry is ever changed or truncated, and every replica
//   applies the same command at the same index;
// - an entry the group committed never leaves the log of a replica that held
//   it (within one process: a crash may lose what was not synced), even
//   before that replica learns it is committed: a leader counts it there;
// and at the end, replicas of a group with equal applied index hold equal
// state (shard digests), and (liveness) every group has a leader that has
// committed an entry of its own term (else it cannot serve a read) and no
// replica ran its term far ahead of its group's leaders (term churn: elections
// started without a majority in reach, which pre-vote prevents).

import { Fnv64 } from '../core/fnv64.js';
import type { Entry } from '../core/raft/raft-types.js';
import type { ShardReplica } from '../core/replica/shard-replica.js';

/** Violations kept in a report (the count goes on). */
const VIOLATIONS_KEPT_MAX = 12;

/**
 * Most terms a replica may run ahead of the newest leader of its group. With
 * pre-vote a term starts only after a majority agreed it could win, so a
 * term passes without a leader only on a split vote or a fault in the middle
 * of an election; a replica campaigning on its own (pre-vote off) gains a
 * term every election timeout it is cut off. Measured on seeds 1..300 of
 * `--nodes 3 --groups 4 --faults all`: at most MEASURED (see docs/simulation.md).
 */
export const TERM_RUNAHEAD_MAX = 6;

/** Leader-of-term keys are group * TERMS_PER_GROUP + term: exact while terms stay below 2^32 and groups below 2^21. */
const TERMS_PER_GROUP = 2 ** 32;

function sameEntry(a: Entry, b: Entry): boolean {
  if (a.term !== b.term || a.kind !== b.kind || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** How a violation names an entry: term, kind and a hash of its data. */
function fingerprint(entry: Entry): string {
  const hash = new Fnv64();
  hash.addBytes(entry.data);
  return `${entry.term}:${entry.kind}:${hash.hex()}`;
}

/** Per group, the leader of the highest term among the given replicas (by node index). */
export function groupLeaders(replicasByNode: ReadonlyMap<number, Iterable<ShardReplica>>): Map<number, { node: number; replica: ShardReplica }> {
  const leaders = new Map<number, { node: number; replica: ShardReplica }>();
  for (const [node, replicas] of replicasByNode) {
    for (const r of replicas) {
      const best = leaders.get(r.group);
      if (r.raw.raft.role === 'leader' && (best === undefined || r.raw.raft.term > best.replica.raw.raft.term)) leaders.set(r.group, { node, replica: r });
    }
  }
  return leaders;
}

/** What the checks keep per group; a replica's record points at it, so a step costs no lookup by group. */
interface GroupSeen {
  /** The newest term that had a leader. */
  leaderTerm: number;
  /** The furthest any replica's term ran ahead of leaderTerm (the detail is in ReplicaChecker.runahead). */
  runaheadTerms: number;
  /** Committed index -> the first committed entry seen there (entries are immutable once made). */
  readonly byIndex: Map<number, Entry>;
}

/**
 * Per replica object (one process's replica): highest commit seen, how far its entries were compared, and
 * heldTo: up to where its log is known to hold the group's committed entries.
 */
interface ReplicaSeen {
  commit: number;
  checkedTo: number;
  heldTo: number;
  readonly group: GroupSeen;
  /** The term in which this replica was seen leading without a rival (that check cannot change its answer), or -1. */
  leaderOkTerm: number;
}

export class ReplicaChecker {
  readonly violations: string[] = [];
  violationCount = 0;
  /** group * TERMS_PER_GROUP + term -> node of the leader seen in that term (a number key: no string per step). */
  private readonly leaderOfTerm = new Map<number, number>();
  private readonly seen = new WeakMap<ShardReplica, ReplicaSeen>();
  private readonly groups = new Map<number, GroupSeen>();
  /** Per group: the furthest any replica's term ran ahead of the group's newest leader's, and where. */
  private readonly runahead = new Map<number, { terms: number; node: number; term: number }>();
  elections = 0;

  private violation(text: string): void {
    this.violationCount++;
    if (this.violations.length < VIOLATIONS_KEPT_MAX) this.violations.push(text);
  }

  observe(node: number, replicas: Iterable<ShardReplica>): void {
    for (const replica of replicas) this.observeOne(node, replica);
  }

  private observeOne(node: number, replica: ShardReplica): void {
    // Read Raft's fields directly: status() builds an object (and membership arrays) per call, and this runs on every step.
    const raft = replica.raw.raft;
    const log = raft.log;
    const commit = log.committed;
    const group = replica.group;
    let seen = this.seen.get(replica);
    if (seen === undefined) {
      let g = this.groups.get(group);
      if (g === undefined) this.groups.set(group, g = { leaderTerm: 0, runaheadTerms: 0, byIndex: new Map() });
      this.seen.set(replica, seen = { commit, checkedTo: Math.max(0, log.firstIndex() - 1), heldTo: 0, group: g, leaderOkTerm: -1 });
    }
    const g = seen.group;
    if (raft.role === 'leader' && seen.leaderOkTerm !== raft.term) {
      const key = group * TERMS_PER_GROUP + raft.term;
      const other = this.leaderOfTerm.get(key);
      if (other === undefined) {
        this.leaderOfTerm.set(key, node);
        this.elections++;
        if (raft.term > g.leaderTerm) g.leaderTerm = raft.term;
        seen.leaderOkTerm = raft.term;
      } else if (other !== node) {
        this.violation(`group ${group}: two leaders in term ${raft.term}: n${other} and n${node}`);
      } else {
        seen.leaderOkTerm = raft.term;
      }
    }
    const ahead = raft.term - g.leaderTerm;
    if (ahead > g.runaheadTerms) {
      g.runaheadTerms = ahead;
      this.runahead.set(group, { terms: ahead, node, term: raft.term });
    }
    if (commit < seen.commit) this.violation(`group ${group} on n${node}: commit went back from ${seen.commit} to ${commit}`);
    const byIndex = g.byIndex;
    this.checkHeld(node, replica, seen, byIndex);
    if (commit <= seen.checkedTo) return;
    seen.commit = Math.max(seen.commit, commit);
    // Only entries committed since the last look: each is compared once per replica, by term, kind and bytes.
    for (let i = Math.max(seen.checkedTo + 1, log.firstIndex()); i <= commit; i++) {
      const entry = log.entry(i);
      const known = byIndex.get(i);
      if (known === undefined) byIndex.set(i, entry);
      else if (!sameEntry(known, entry)) {
        this.violation(`group ${group} on n${node}: committed entry ${i} is ${fingerprint(entry)}, but ${fingerprint(known)} was committed there`);
      }
    }
    seen.checkedTo = commit;
  }

  /**
   * A replica that held a committed entry still holds it (or a snapshot covering it): a follower that drops
   * entries it acknowledged lets a leader count it for entries it no longer has. Then extends what it holds.
   */
  private checkHeld(node: number, replica: ShardReplica, seen: { heldTo: number }, byIndex: ReadonlyMap<number, Entry>): void {
    const log = replica.raw.raft.log;
    const held = seen.heldTo;
    if (held >= log.firstIndex() && (held > log.lastIndex() || log.term(held) !== byIndex.get(held)!.term)) {
      this.violation(`group ${replica.group} on n${node}: committed entry ${held}, which this replica held, left its log (its log now ends at ${log.lastIndex()})`);
    }
    let i = Math.max(held + 1, log.firstIndex());
    // Log matching: holding the committed entry's term at i means holding every committed entry up to i.
    for (let known = byIndex.get(i); known !== undefined && i <= log.lastIndex() && log.term(i) === known.term; known = byIndex.get(++i)) {
      seen.heldTo = i;
    }
  }

  /**
   * At the end, long after the faults: every group has a leader that committed an entry of its own term (without
   * one it cannot confirm a read index), and no replica's term ran far ahead of its leaders' (term churn).
   */
  livenessAtEnd(replicasByNode: ReadonlyMap<number, Iterable<ShardReplica>>, groups: number): string[] {
    const notes: string[] = [];
    const leaders = groupLeaders(replicasByNode);
    for (let g = 0; g < groups; g++) {
      const leader = leaders.get(g);
      if (leader === undefined) {
        notes.push(`group ${g} has no leader at the end`);
        continue;
      }
      const { term, log } = leader.replica.raw.raft;
      if (log.term(log.committed) !== term) {
        notes.push(`group ${g}: leader n${leader.node} of term ${term} never committed an entry of its term (commit ${log.committed} is of term ${log.term(log.committed)}), so it cannot serve reads`);
      }
    }
    for (const [g, r] of this.runahead) {
      if (r.terms > TERM_RUNAHEAD_MAX) {
        notes.push(`group ${g}: term churn: n${r.node} reached term ${r.term}, ${r.terms} terms past the group's newest leader (at most ${TERM_RUNAHEAD_MAX})`);
      }
    }
    return notes;
  }

  /** The furthest any replica ran ahead of its group's newest leader, over all groups. */
  get runaheadMax(): number {
    let max = 0;
    for (const r of this.runahead.values()) max = Math.max(max, r.terms);
    return max;
  }

  /** At the end: replicas of a group at the same applied index hold the same state. */
  checkConverged(replicasByNode: ReadonlyMap<number, Iterable<ShardReplica>>): void {
    const digests = new Map<string, { node: number; digest: string }>();
    for (const [node, replicas] of replicasByNode) {
      for (const r of replicas) {
        const key = `${r.group}@${r.shard.appliedIndex}`;
        const digest = r.shard.digest();
        const other = digests.get(key);
        if (other && other.digest !== digest) this.violation(`group ${r.group}: n${other.node} and n${node} differ at applied index ${r.shard.appliedIndex}`);
        digests.set(key, { node, digest });
      }
    }
  }
}
