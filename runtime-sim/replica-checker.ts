// Raft's safety invariants, checked on every step of a replicated run (after
// every drain, tick and peer delivery of every worker), apart from the fakes
// they watch:
// - at most one leader per term per group;
// - a replica's commit index never goes back (within one process);
// - every replica holds the same entry (term and data) at a committed index,
//   so no committed entry is ever changed or truncated, and every replica
//   applies the same command at the same index;
// and at the end, replicas of a group with equal applied index hold equal
// state (shard digests).

import { Fnv64 } from '../core/fnv64.js';
import type { Entry } from '../core/raft/raft-types.js';
import type { ShardReplica } from '../core/replica/shard-replica.js';

/** Violations kept in a report (the count goes on). */
const VIOLATIONS_KEPT_MAX = 12;

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

export class ReplicaChecker {
  readonly violations: string[] = [];
  violationCount = 0;
  /** group * TERMS_PER_GROUP + term -> node of the leader seen in that term (a number key: no string per step). */
  private readonly leaderOfTerm = new Map<number, number>();
  /** Per replica object (one process's replica): highest commit seen, and how far its entries were compared. */
  private readonly seen = new WeakMap<ShardReplica, { commit: number; checkedTo: number }>();
  /** Per group: committed index -> the first committed entry seen there (entries are immutable once made). */
  private readonly committed = new Map<number, Map<number, Entry>>();
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
    if (raft.role === 'leader') {
      const key = group * TERMS_PER_GROUP + raft.term;
      const other = this.leaderOfTerm.get(key);
      if (other === undefined) {
        this.leaderOfTerm.set(key, node);
        this.elections++;
      } else if (other !== node) {
        this.violation(`group ${group}: two leaders in term ${raft.term}: n${other} and n${node}`);
      }
    }
    let seen = this.seen.get(replica);
    if (seen === undefined) this.seen.set(replica, seen = { commit, checkedTo: Math.max(0, log.firstIndex() - 1) });
    if (commit < seen.commit) this.violation(`group ${group} on n${node}: commit went back from ${seen.commit} to ${commit}`);
    if (commit <= seen.checkedTo) return;
    seen.commit = Math.max(seen.commit, commit);
    let byIndex = this.committed.get(group);
    if (byIndex === undefined) this.committed.set(group, byIndex = new Map());
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
