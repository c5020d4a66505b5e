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
import type { ShardReplica } from '../core/replica/shard-replica.js';

/** Violations kept in a report (the count goes on). */
const VIOLATIONS_KEPT_MAX = 12;

export class ReplicaChecker {
  readonly violations: string[] = [];
  violationCount = 0;
  /** "group/term" -> node of the leader seen in that term. */
  private readonly leaderOfTerm = new Map<string, number>();
  /** Per replica object (one process's replica): highest commit seen, and how far its entries were compared. */
  private readonly seen = new WeakMap<ShardReplica, { commit: number; checkedTo: number }>();
  /** Per group: committed index -> "term:hash of data". */
  private readonly committed = new Map<number, Map<number, string>>();
  elections = 0;

  private violation(text: string): void {
    this.violationCount++;
    if (this.violations.length < VIOLATIONS_KEPT_MAX) this.violations.push(text);
  }

  observe(node: number, replicas: Iterable<ShardReplica>): void {
    for (const replica of replicas) this.observeOne(node, replica);
  }

  private observeOne(node: number, replica: ShardReplica): void {
    const status = replica.raw.status();
    const group = replica.group;
    if (status.role === 'leader') {
      const key = `${group}/${status.term}`;
      const other = this.leaderOfTerm.get(key);
      if (other === undefined) {
        this.leaderOfTerm.set(key, node);
        this.elections++;
      } else if (other !== node) {
        this.violation(`group ${group}: two leaders in term ${status.term}: n${other} and n${node}`);
      }
    }
    let seen = this.seen.get(replica);
    if (seen === undefined) this.seen.set(replica, seen = { commit: status.commit, checkedTo: Math.max(0, replica.raw.raft.log.firstIndex() - 1) });
    if (status.commit < seen.commit) this.violation(`group ${group} on n${node}: commit went back from ${seen.commit} to ${status.commit}`);
    seen.commit = Math.max(seen.commit, status.commit);
    const log = replica.raw.raft.log;
    let byIndex = this.committed.get(group);
    if (byIndex === undefined) this.committed.set(group, byIndex = new Map());
    for (let i = Math.max(seen.checkedTo + 1, log.firstIndex()); i <= status.commit; i++) {
      const entry = log.entry(i);
      const hash = new Fnv64();
      hash.addBytes(entry.data);
      const fingerprint = `${entry.term}:${entry.kind}:${hash.hex()}`;
      const known = byIndex.get(i);
      if (known === undefined) byIndex.set(i, fingerprint);
      else if (known !== fingerprint) this.violation(`group ${group} on n${node}: committed entry ${i} is ${fingerprint}, but ${known} was committed there`);
    }
    seen.checkedTo = Math.max(seen.checkedTo, status.commit);
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
