// A replicated simulated cluster, as data: how many shard groups, how many
// replicas each, which nodes host them, and how clients find a group's
// leader. A group's replica on node n has Raft id n + 1 (0 is "none").
//
// Placement is deterministic and spreads groups evenly: group g lives on
// nodes g, g+1, ..., g+R-1 (mod K), so every node hosts about G·R/K groups
// and the first-listed replicas (where clients look first) rotate.

import { assert } from '../core/assert.js';
import type { ReplicaId } from '../core/raft/raft-types.js';
import { slotOf } from '../core/routing/slot-hash.js';
import { SlotMap } from '../core/routing/slot-map.js';

export interface ClusterSpec {
  groups: number;
  replicas: number;
  /** Nodes hosting each group, by group. */
  placement: number[][];
  /** Virtual µs between Raft ticks on every worker. */
  tickUs: number;
}

export const GROUPS_MAX = 64;

export function placeGroups(groups: number, replicas: number, nodes: number): number[][] {
  assert(replicas >= 1 && replicas <= nodes, 'replicas in 1..nodes');
  return Array.from({ length: groups }, (_, g) => Array.from({ length: replicas }, (_, i) => (g + i) % nodes));
}

export const replicaIdOfNode = (node: number): ReplicaId => node + 1;
export const nodeOfReplica = (id: ReplicaId): number => id - 1;

/** Groups hosted by `node`. */
export function groupsOfNode(spec: ClusterSpec, node: number): number[] {
  const out: number[] = [];
  spec.placement.forEach((nodes, g) => { if (nodes.includes(node)) out.push(g); });
  return out;
}

/**
 * Where a client sends a key: the node it believes leads the key's group.
 * A NOT_LEADER reply names the leader when the replica knows it; otherwise
 * the client tries the group's next replica.
 */
export class LeaderRouter {
  private readonly slots: SlotMap;
  private readonly guess: number[];

  constructor(private readonly spec: ClusterSpec) {
    this.slots = new SlotMap(spec.groups, 1);
    this.guess = spec.placement.map((nodes) => nodes[0]!);
  }

  groupOf(key: Uint8Array): number {
    return this.slots.shardOf(slotOf(key));
  }

  nodeFor(key: Uint8Array): number {
    return this.guess[this.groupOf(key)]!;
  }

  /** A replica refused a request for `key`: follow its hint, or move to the group's next replica. */
  redirected(key: Uint8Array, leaderHint: number | undefined): void {
    const g = this.groupOf(key);
    const nodes = this.spec.placement[g]!;
    if (leaderHint !== undefined && nodes.includes(nodeOfReplica(leaderHint))) {
      this.guess[g] = nodeOfReplica(leaderHint);
      return;
    }
    this.guess[g] = nodes[(nodes.indexOf(this.guess[g]!) + 1) % nodes.length]!;
  }
}
