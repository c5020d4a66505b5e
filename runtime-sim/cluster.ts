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
  /** Ticks a request may wait for its group's leader (ShardWorker.leaderWaitTicks; 0: refused at once). */
  leaderWaitTicks: number;
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
 * Each client host has its own (clients disagree while a group changes
 * leader). A NOT_LEADER reply names the leader when the replica knows it;
 * otherwise, and after a timeout or reset, the client tries the group's next replica.
 */
export class LeaderRouter {
  private readonly slots: SlotMap;
  private readonly guess: number[];
  /** Per group: a node a request timed out on, avoided until untilUs (hints naming it are not followed then). */
  private readonly avoid: { node: number; untilUs: number }[];

  /**
   * `avoidUs`: how long a node that let a request time out is avoided (the client's request timeout);
   * null: the client does not fail over on timeouts, only on refusals.
   */
  constructor(private readonly spec: ClusterSpec, private readonly avoidUs: number | null = null) {
    this.slots = new SlotMap(spec.groups, 1);
    this.guess = spec.placement.map((nodes) => nodes[0]!);
    this.avoid = spec.placement.map(() => ({ node: -1, untilUs: 0 }));
  }

  groupOf(key: Uint8Array): number {
    return this.slots.shardOf(slotOf(key));
  }

  nodeFor(key: Uint8Array): number {
    return this.guess[this.groupOf(key)]!;
  }

  /**
   * A request for `key` sent to `node` got no answer by `nowUs` (a timeout,
   * or its connection was reset): try the group's next replica, and do not go
   * back to `node` on a hint for a while,
   * as a cluster client marks an endpoint unhealthy after a timeout (the node
   * may be down, or cut off from its group, which elected another leader
   * while followers that have not noticed yet still name the old one).
   */
  unanswered(key: Uint8Array, node: number, nowUs: number): void {
    if (this.avoidUs === null) return;
    const g = this.groupOf(key);
    this.avoid[g] = { node, untilUs: nowUs + this.avoidUs };
    if (this.guess[g] === node) this.guess[g] = this.nextReplica(g, node, nowUs);
  }

  /** A replica refused a request for `key`: follow its hint (unless it names a node being avoided), or move to the group's next replica. */
  redirected(key: Uint8Array, leaderHint: number | undefined, nowUs: number): void {
    const g = this.groupOf(key);
    const nodes = this.spec.placement[g]!;
    if (leaderHint !== undefined && nodes.includes(nodeOfReplica(leaderHint)) && !this.avoided(g, nodeOfReplica(leaderHint), nowUs)) {
      this.guess[g] = nodeOfReplica(leaderHint);
      return;
    }
    this.guess[g] = this.nextReplica(g, this.guess[g]!, nowUs);
  }

  private avoided(g: number, node: number, nowUs: number): boolean {
    const a = this.avoid[g]!;
    return a.node === node && nowUs < a.untilUs;
  }

  /** The group's replica after `node`, skipping an avoided one. */
  private nextReplica(g: number, node: number, nowUs: number): number {
    const nodes = this.spec.placement[g]!;
    let next = nodes[(nodes.indexOf(node) + 1) % nodes.length]!;
    if (this.avoided(g, next, nowUs) && nodes.length > 1) next = nodes[(nodes.indexOf(next) + 1) % nodes.length]!;
    return next;
  }
}
