// A cluster's slot -> group -> leader map as the typed client keeps it: read
// from a node's GET /v1/cluster (runtime-node/cluster/cluster-node.ts,
// healthReport), answering "which node's WebSocket should this key's request
// go to". Pure: no I/O here (cluster-connection.ts fetches and refreshes).

import { SLOT_COUNT, slotOf } from '../core/routing/slot-hash.js';
import type { Request } from '../core/protocol/ops.js';
import { routingKeyOf } from '../core/routing/split.js';
import { ProtocolError } from './errors.js';

/** What GET /v1/cluster answers (the fields the client reads). */
export interface ClusterMapJson {
  nodeId: number;
  nodes: { id: number; http?: string }[];
  groups: { group: number; slots: [number, number]; leader: number; leaderHttp?: string | null }[];
}

export class ClusterMap {
  /** The leader's HTTP endpoint (`host:port`) of each slot's group; null when unknown. */
  private readonly leaderOfSlot: (string | null)[];

  private constructor(leaderOfSlot: (string | null)[], readonly endpoints: readonly string[]) {
    this.leaderOfSlot = leaderOfSlot;
  }

  /** Reads a /v1/cluster body; throws ProtocolError when it is not one. */
  static parse(json: unknown): ClusterMap {
    const body = json as Partial<ClusterMapJson> | null;
    if (body === null || typeof body !== 'object' || !Array.isArray(body.groups) || !Array.isArray(body.nodes)) {
      throw new ProtocolError('the cluster map has no groups or nodes');
    }
    const httpOf = new Map<number, string>();
    for (const node of body.nodes) if (typeof node.http === 'string') httpOf.set(node.id, node.http);
    const leaderOfSlot: (string | null)[] = new Array(SLOT_COUNT).fill(null);
    for (const group of body.groups) {
      const [first, last] = Array.isArray(group.slots) ? group.slots : [-1, -2];
      if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last >= SLOT_COUNT || first > last) {
        throw new ProtocolError(`the cluster map's group ${group.group} has slots ${JSON.stringify(group.slots)}`);
      }
      const leader = group.leaderHttp ?? httpOf.get(group.leader) ?? null;
      leaderOfSlot.fill(leader, first, last + 1);
    }
    return new ClusterMap(leaderOfSlot, [...httpOf.values()]);
  }

  /** The endpoint to send `req` to: its (first) key's leader; null for keyless requests or an unknown leader (any node serves them). */
  endpointFor(req: Request): string | null {
    const key = routingKeyOf(req);
    return key === null ? null : this.leaderOfSlot[slotOf(key)] ?? null;
  }
}
