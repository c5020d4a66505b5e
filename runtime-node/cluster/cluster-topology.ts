// Who is in a static cluster and where each shard group lives, computed the
// same way on every node from the same `--peers` list: the list is sorted by
// node id, group g is hosted by the R nodes starting at position g (mod N),
// and the first of them is the group's preferred leader. So every node
// hosts about G·R/N groups and preferred leaders rotate over the nodes.
//
// A node's Raft replica id in every group is its node id (ids are positive
// integers; Raft reserves 0 for "none"). A node's Redis Cluster id (the 40
// hex characters CLUSTER NODES shows) is derived from its node id, so every
// node names every other the same way without asking it.

import { createHash } from 'node:crypto';
import { SLOT_COUNT } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { ConfigError } from '../config/load-config.js';

export interface ClusterMember {
  readonly id: number;
  readonly host: string;
  readonly peerPort: number;
}

/** Node ids are u32 on the peer handshake and Raft replica ids; 0 means none. */
export const NODE_ID_MAX = 2 ** 31 - 1;
/** A static list longer than this is a typo, not a cluster this slice can run (every node links to every other). */
export const CLUSTER_NODES_MAX = 64;
/** Groups per cluster: each is a Raft group on R nodes ticking every RAFT_TICK_MS; more is a configuration mistake here. */
export const CLUSTER_GROUPS_MAX = 1024;

/** Parses `ID@HOST:PORT,...` (the same list on every node, itself included). */
export function parsePeers(entries: readonly string[]): ClusterMember[] {
  const members: ClusterMember[] = [];
  for (const entry of entries) {
    const match = /^(\d{1,10})@(.+):(\d{1,5})$/.exec(entry.trim());
    if (!match) throw new ConfigError(`--peers: '${entry}' is not ID@HOST:PORT (e.g. 1@10.0.0.1:7800)`);
    const id = Number(match[1]);
    const peerPort = Number(match[3]);
    if (id < 1 || id > NODE_ID_MAX) throw new ConfigError(`--peers: node id ${match[1]} is not in 1..${NODE_ID_MAX}`);
    if (peerPort < 1 || peerPort > 65535) throw new ConfigError(`--peers: port ${match[3]} of node ${id} is not in 1..65535`);
    if (members.some((m) => m.id === id)) throw new ConfigError(`--peers: node id ${id} is listed twice`);
    members.push({ id, host: match[2]!.replace(/^\[(.*)\]$/, '$1'), peerPort });
  }
  if (members.length > CLUSTER_NODES_MAX) throw new ConfigError(`--peers: ${members.length} nodes; at most ${CLUSTER_NODES_MAX}`);
  return members.sort((a, b) => a.id - b.id);
}

export class ClusterTopology {
  /**
   * Node ids hosting each group now, as this node knows it: the first
   * placement, then as replicas move (setReplicas; membership-record.ts).
   */
  readonly placement: readonly (readonly number[])[];
  /** Node ids of each group as first placed, preferred leader first: every replica's bootstrap membership. */
  readonly genesis: readonly (readonly number[])[];
  /** The node ids the first placement was computed from, ascending. */
  readonly genesisIds: readonly number[];
  /** slot -> group (contiguous ranges, as Redis Cluster assigns them). */
  readonly slots: SlotMap;

  constructor(
    readonly selfId: number,
    /** Sorted by id. */
    readonly members: readonly ClusterMember[],
    readonly groups: number,
    readonly replicas: number,
    /** The node ids the first placement was computed from (default: every member): fixed once the cluster formed. */
    genesisIds: readonly number[] = members.map((m) => m.id),
  ) {
    if (!members.some((m) => m.id === selfId)) {
      throw new ConfigError(`--node-id ${selfId} is not in --peers (every node gets the same list, itself included)`);
    }
    if (replicas < 1 || replicas > members.length) {
      throw new ConfigError(`--replicas ${replicas} must be in 1..${members.length} (the nodes in --peers)`);
    }
    if (groups < 1 || groups > CLUSTER_GROUPS_MAX) throw new ConfigError(`--groups ${groups} must be in 1..${CLUSTER_GROUPS_MAX}`);
    const first = [...genesisIds].sort((a, b) => a - b);
    this.genesisIds = first;
    if (replicas > first.length) throw new ConfigError(`--replicas ${replicas} must be in 1..${first.length} (the nodes the cluster was first placed on)`);
    const n = first.length;
    this.genesis = Array.from({ length: groups }, (_, g) => Array.from({ length: replicas }, (_, i) => first[(g + i) % n]!));
    this.placement = this.genesis.map((nodes) => [...nodes]);
    this.slots = new SlotMap(groups, 1);
    const ranges: [number, number][] = Array.from({ length: groups }, () => [-1, -1]);
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const range = ranges[this.slots.shardOf(slot)]!;
      if (range[0] < 0) range[0] = slot;
      range[1] = slot;
    }
    this.ranges = ranges;
  }

  private readonly ranges: readonly [number, number][];

  /** A node joined (add-node): it can now be given replicas. */
  addMember(member: ClusterMember): void {
    if (this.member(member.id) !== undefined) return;
    const members = this.members as ClusterMember[];
    members.push(member);
    members.sort((a, b) => a.id - b.id);
  }

  member(id: number): ClusterMember | undefined {
    return this.members.find((m) => m.id === id);
  }

  /** Groups with a replica on `nodeId`, ascending. */
  groupsOf(nodeId: number): number[] {
    const out: number[] = [];
    this.placement.forEach((nodes, g) => { if (nodes.includes(nodeId)) out.push(g); });
    return out;
  }

  /** Placement's preferred leader of `group` (an operator may prefer another: leader-preferences.ts). */
  preferredLeader(group: number): number {
    return this.genesis[group]![0]!;
  }

  /** The replicas of `group` moved (the membership record said so). */
  setReplicas(group: number, nodes: readonly number[]): void {
    (this.placement as number[][])[group] = [...nodes];
  }

  /** The inclusive slot range [first, last] of a group. */
  slotRange(group: number): [number, number] {
    return this.ranges[group]!;
  }
}

/** Redis Cluster's node id for a Piccolo node: 40 hex characters, the same on every node. */
export function redisNodeId(nodeId: number): string {
  return createHash('sha1').update(`piccolo-node-${nodeId}`).digest('hex');
}

export { SLOT_COUNT };
