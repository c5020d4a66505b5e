// Leaders spread over the nodes: each group has a preferred leader (the
// first node of its placement, cluster-topology.ts), and a leader that is
// not the preferred one hands leadership over once the preferred node is
// reachable and its log is complete. Elections elect whoever times out
// first; this puts leadership back where placement wanted it, so each node
// leads about G/N groups.
//
// A transfer only starts when the preferred replica's log already matches
// the leader's: then Raft's TimeoutNow makes it campaign at once and the
// group refuses proposals for one round trip. A lagging or unreachable
// preferred node is left alone (a transfer to it would hold writes for an
// election timeout and then give up).

import type { ShardReplica } from '../../core/replica/shard-replica.js';

/** The node to hand `replica`'s leadership to now, or null to leave it. */
export function preferredLeaderMove(replica: ShardReplica, preferred: number, linkUp: (nodeId: number) => boolean): number | null {
  if (!replica.isLeader() || replica.id === preferred || !linkUp(preferred)) return null;
  const raft = replica.raw.raft;
  if (!raft.membership().voters.includes(preferred)) return null;
  return raft.matchOf(preferred) === raft.log.lastIndex() ? preferred : null;
}
