// `piccolo server --node-id N --join HOST:PORT --peer-port P`: a node that
// joins a running cluster learns it from any node's GET /v1/cluster before
// it starts: every node and its peer address, the group count, replicas per
// group, the nodes the first placement was computed from, and the
// membership record. It then starts as a cluster node hosting no group;
// `piccolo cluster add-node --id N --peer HOST:P` makes the cluster learn its
// address and move replicas to it (cluster-admin.ts).

import { ConfigError } from '../config/load-config.js';
import type { ClusterMember } from './cluster-topology.js';
import { parseMembership, type MembershipRecord } from './membership-record.js';

/** How long the joining node waits for the node it was given: a node on a LAN answers at once. */
export const JOIN_TIMEOUT_MS = 5_000;

export interface JoinInfo {
  readonly members: readonly ClusterMember[];
  readonly groups: number;
  readonly replicas: number;
  readonly genesis: readonly number[];
  readonly membership: MembershipRecord;
}

interface SeedView {
  nodeId: number;
  nodes: { id: number; peer: string }[];
  groups: unknown[];
  replicasPerGroup?: number;
  genesis?: number[];
  membership?: unknown;
}

/** The cluster as the node at `seed` (HOST:PORT, its HTTP address) describes it; a ConfigError (exit 2) if it cannot. */
export async function fetchJoinInfo(seed: string, password: string | undefined): Promise<JoinInfo> {
  let view: SeedView;
  try {
    const response = await fetch(`http://${seed}/v1/cluster`, {
      headers: password === undefined ? {} : { authorization: `Bearer ${password}` }, signal: AbortSignal.timeout(JOIN_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    view = await response.json() as SeedView;
  } catch (error) {
    throw new ConfigError(`--join ${seed}: cannot read the cluster from that node: ${(error as Error).message}`);
  }
  const groups = view.groups.length;
  const membership = view.membership === undefined ? null : parseMembership(view.membership, groups);
  if (view.replicasPerGroup === undefined || view.genesis === undefined || membership === null) {
    throw new ConfigError(`--join ${seed}: that node does not describe its cluster fully (an older version?)`);
  }
  const members = view.nodes.map((n) => {
    const match = /^(.+):(\d{1,5})$/.exec(n.peer);
    if (!match) throw new ConfigError(`--join ${seed}: node ${n.id}'s peer address '${n.peer}' is not HOST:PORT`);
    return { id: n.id, host: match[1]!, peerPort: Number(match[2]) };
  });
  return { members, groups, replicas: view.replicasPerGroup, genesis: view.genesis, membership };
}
