// The final "expired keys left memory" check of a replicated run, judged per
// group against the clock of the replica that leads it at the end.
//
// A key's expiry is absolute, stamped by whichever leader proposed the write,
// and the sweep removes it only once the leader that runs the sweep sees it
// due: at its sweep time max(its clock, the shard's read clock), the read
// clock being the newest entry timestamp or read time the shard has seen
// (core/shard/shard.ts `readTime`). A key stamped ahead by a faster clock
// is legitimately still there when a slower replica leads, until that clock
// catches up; waiting that out (up to the whole spread of the node clocks,
// seconds of idle heartbeats) is what this check avoids. Instead:
// - probe: note each group's leader (node and term) and the time it sweeps at
//   from now on, at least: max(its clock now, its shard's read clock now);
// - a sweep margin later, if the same leader still leads (it led throughout:
//   a node leads a term once, and loses it only to a newer term), no replica
//   of the group may still hold a key due by that time. Keys due later are
//   excused and counted.

import type { ShardReplica } from '../core/replica/shard-replica.js';
import type { NodeHost } from './node-host.js';
import { groupLeaders } from './replica-checker.js';

/** One group's leader at the probe, and the time every sweep it runs afterwards judges expiry at, at least. */
export interface SweepProbe {
  group: number;
  leaderNode: number;
  term: number;
  dueByMs: number;
}

export interface SweepVerdict {
  /** One line per replica still holding keys due by its group's probe time (a sweep not removing them). */
  findings: string[];
  /** Keys still held that were not yet due by the probe time (stamped by a faster clock): legitimately there. */
  keysNotDue: number;
  /** Groups not judged: no leader at the probe, or a different one at the check. */
  groupsUnjudged: number;
}

/** Each running node's replicas, by node index. */
function replicasByNode(nodes: readonly NodeHost[]): Map<number, ShardReplica[]> {
  const byNode = new Map<number, ShardReplica[]>();
  for (const host of nodes) if (host.current !== null) byNode.set(host.index, [...host.current.replicas()]);
  return byNode;
}

/** Notes, at virtual time `nowUs`, each group's leader and the expiry time its later sweeps must reach. */
export function probeSweep(nodes: readonly NodeHost[], nowUs: number): SweepProbe[] {
  const probes: SweepProbe[] = [];
  for (const [group, { node, replica }] of groupLeaders(replicasByNode(nodes))) {
    const dueByMs = Math.max(nodes[node]!.clock.nowMs(nowUs), replica.shard.readClockMs);
    probes.push({ group, leaderNode: node, term: replica.raw.raft.term, dueByMs });
  }
  return probes;
}

/** Judges, a sweep margin after the probe, that no replica still holds a key its group's leader has had due since the probe. */
export function checkSwept(nodes: readonly NodeHost[], probes: readonly SweepProbe[], groups: number): SweepVerdict {
  const verdict: SweepVerdict = { findings: [], keysNotDue: 0, groupsUnjudged: groups - probes.length };
  const byNode = replicasByNode(nodes);
  const now = groupLeaders(byNode);
  for (const probe of probes) {
    const leader = now.get(probe.group);
    if (leader === undefined || leader.node !== probe.leaderNode || leader.replica.raw.raft.term !== probe.term) {
      verdict.groupsUnjudged++;
      continue;
    }
    for (const [node, replicas] of byNode) {
      for (const r of replicas) {
        if (r.group !== probe.group) continue;
        const held = r.shard.expiredHeldCount(probe.dueByMs);
        verdict.keysNotDue += r.shard.expiringSize - held;
        if (held > 0) {
          verdict.findings.push(`n${node} group ${probe.group}: ${held} keys with a TTL due by ${probe.dueByMs}ms `
            + `(leader n${probe.leaderNode}'s sweep time since the probe) still in memory (sweep not removing them)`);
        }
      }
    }
  }
  return verdict;
}
