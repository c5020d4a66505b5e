// Who is in a simulated run, as data: hosts (nodes and clients) and which
// node owns each key slot. Until the cluster exists every node is an
// independent single node, and clients send each key to the node that owns
// its slot, so every key has exactly one owner. When the cluster lands, the
// ownership table is what membership changes will rewrite (and node-to-node
// links will join the network); nothing here assumes a single node.

import { assert } from '../core/assert.js';
import { utf8 } from '../core/bytes.js';
import { SLOT_COUNT, slotOf } from '../core/routing/slot-hash.js';

export class SlotOwnership {
  private readonly ownerOfSlot: Uint16Array;

  /** Contiguous slot ranges, one per node, as Redis Cluster assigns them. */
  constructor(readonly nodeCount: number) {
    assert(Number.isInteger(nodeCount) && nodeCount >= 1 && nodeCount <= 1024, 'node count in 1..1024');
    this.ownerOfSlot = new Uint16Array(SLOT_COUNT);
    for (let slot = 0; slot < SLOT_COUNT; slot++) this.ownerOfSlot[slot] = Math.floor((slot * nodeCount) / SLOT_COUNT);
  }

  ownerOfKey(key: Uint8Array): number {
    return this.ownerOfSlot[slotOf(key)]!;
  }
}

/** Each key's bytes and owning node, computed once (the workload uses a handful of keys over and over). */
export class KeyRoutes {
  private readonly routes = new Map<string, { bytes: Uint8Array; node: number }>();

  constructor(private readonly ownership: SlotOwnership) {}

  get(key: string): { bytes: Uint8Array; node: number } {
    let route = this.routes.get(key);
    if (route === undefined) {
      const bytes = utf8(key);
      route = { bytes, node: this.ownership.ownerOfKey(bytes) };
      this.routes.set(key, route);
    }
    return route;
  }
}

/** Host ids on the simulated network: nodes first, then clients. */
export interface HostLayout {
  nodeHosts: number[];
  /** Workload clients (one history process each). */
  workloadHosts: number[];
  /** The client that sets keys with a TTL and checks their expiry. */
  ttlHost: number;
  /** The client that reads every key back after quiesce. */
  finalReaderHost: number;
  hostCount: number;
}

export function layoutHosts(nodes: number, clients: number): HostLayout {
  const nodeHosts = Array.from({ length: nodes }, (_, i) => i);
  const workloadHosts = Array.from({ length: clients }, (_, i) => nodes + i);
  const ttlHost = nodes + clients;
  const finalReaderHost = ttlHost + 1;
  return { nodeHosts, workloadHosts, ttlHost, finalReaderHost, hostCount: finalReaderHost + 1 };
}

/** Client hosts: everything that is not a node. */
export function clientHostsOf(layout: HostLayout): number[] {
  return [...layout.workloadHosts, layout.ttlHost, layout.finalReaderHost];
}

export function hostName(layout: HostLayout, host: number): string {
  if (host < layout.nodeHosts.length) return `n${host}`;
  if (host === layout.ttlHost) return 'ttl';
  if (host === layout.finalReaderHost) return 'final';
  return `c${host - layout.nodeHosts.length}`;
}
