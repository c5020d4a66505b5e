// This node's copy of the cluster's membership record: every node and its
// peer address (once add-node changed the set), the nodes the first
// placement was computed from (`genesis`: every replica's bootstrap
// membership, fixed for the cluster's life), which nodes have been removed
// (remove-node), and which nodes hold each group's replicas now, as the
// replica mover last announced them. Kept in the data directory
// (`cluster-membership.json`), so a restarted node hosts and routes by the
// membership as it is, not by the `--peers` list it was first started with.
//
// The record is the routing view; the truth about a group's replicas is
// the group's own Raft configuration (agreed by the group, durable in its
// log and snapshots: core/raft). The mover writes the record after each
// change Raft applied, to every node, each keeping the highest `version`
// it was told; a node that missed a version (it was down) is told the next
// one, and meanwhile only redirects through a stale replica (one more
// MOVED), never decides anything with it.

import { readJsonFile, writeJsonFile } from './json-file.js';

export const MEMBERSHIP_FILE = 'cluster-membership.json';

export interface RecordedNode { readonly id: number; readonly host: string; readonly peerPort: number }

export interface MembershipRecord {
  /** Grows by one with each change the mover announces; a node keeps the highest. */
  readonly version: number;
  /** Node ids that left the cluster (remove-node finished moving their replicas away). */
  readonly removed: readonly number[];
  /** Each group's replicas (node ids), by group; groups absent keep their placement. */
  readonly replicas: Readonly<Record<string, readonly number[]>>;
  /** Every node with its peer address; absent until add-node: then --peers is the list. */
  readonly nodes?: readonly RecordedNode[];
  /** The node ids the first placement was computed from (the first --peers list); absent until add-node. */
  readonly genesis?: readonly number[];
  /** Groups and replicas per group, recorded with `nodes` so a node restarts from the record alone. */
  readonly shape?: { readonly groups: number; readonly replicas: number };
}

export const EMPTY_MEMBERSHIP: MembershipRecord = Object.freeze({ version: 0, removed: [], replicas: {} });

/** The stored record, or the empty one; entries that do not fit `groups` are ignored (a file edited by hand). */
export function loadMembership(dir: string | null, groups: number): MembershipRecord {
  const stored = readJsonFile(dir, MEMBERSHIP_FILE);
  return stored === null ? EMPTY_MEMBERSHIP : parseMembership(stored, groups) ?? EMPTY_MEMBERSHIP;
}

export function storeMembership(dir: string | null, record: MembershipRecord): void {
  writeJsonFile(dir, MEMBERSHIP_FILE, record);
}

const isNodeList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((n) => Number.isInteger(n) && (n as number) > 0);

/** A record as a peer or a file gave it, checked; null when it is not one. */
export function parseMembership(value: unknown, groups: number): MembershipRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const { version, removed, replicas, nodes, genesis, shape } = value as Record<string, unknown>;
  if (!Number.isInteger(version) || (version as number) < 0 || !isNodeList(removed) || typeof replicas !== 'object' || replicas === null) return null;
  const kept: Record<string, number[]> = {};
  for (const [group, nodes] of Object.entries(replicas)) {
    const g = Number(group);
    if (!Number.isInteger(g) || g < 0 || g >= groups || !isNodeList(nodes) || nodes.length === 0) return null;
    kept[String(g)] = nodes;
  }
  if (genesis !== undefined && !isNodeList(genesis)) return null;
  const { groups: shapeGroups, replicas: shapeReplicas } = (shape ?? {}) as Record<string, unknown>;
  if (shape !== undefined && (shapeGroups !== groups || !Number.isInteger(shapeReplicas) || (shapeReplicas as number) < 1)) return null;
  if (nodes !== undefined && !(Array.isArray(nodes) && nodes.every(isRecordedNode))) return null;
  return {
    version: version as number, removed, replicas: kept,
    ...(nodes !== undefined ? { nodes: nodes as RecordedNode[] } : {}), ...(genesis !== undefined ? { genesis } : {}),
    ...(shape !== undefined ? { shape: { groups, replicas: shapeReplicas as number } } : {}),
  };
}

function isRecordedNode(value: unknown): value is RecordedNode {
  const n = value as RecordedNode;
  return typeof value === 'object' && value !== null && Number.isInteger(n.id) && n.id > 0 && typeof n.host === 'string'
    && Number.isInteger(n.peerPort) && n.peerPort > 0 && n.peerPort <= 65535;
}
