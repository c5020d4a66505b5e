// One node's own numbers for the dashboard (GET /v1/dashboard/node): its
// request rates and recent elections (node-sampler.ts), its keys and memory,
// and its first-hand view of the groups it hosts (the same view GET
// /v1/cluster gives). The node serving a page gathers this from every node
// (status-feed.ts); a lone node's view is the whole picture.

import type { ElectionSeen, NodeSampler, RequestRates } from './node-sampler.js';

/** A node's view of the cluster, as GET /v1/cluster reports it (ClusterNode.healthReport). */
export interface ClusterViewJson {
  nodeId: number;
  nodes: { id: number; http?: string; linkUp: boolean }[];
  groups: { group: number; slots: [number, number]; replicas: number[]; leader: number; role?: string; term?: number; commit?: number; applied?: number; snapshotsTooLarge?: number }[];
}

export interface NodeView extends RequestRates {
  nodeId: number;
  /** host:port of the HTTP door, as the node advertises it. */
  http: string;
  uptimeMs: number;
  keys: number;
  /** Bytes the shard stores hold (what --maxmemory is judged by). */
  storeBytes: number;
  /** Resident memory of the whole process. */
  rssBytes: number;
  elections: ElectionSeen[];
  /** Shards (a lone node's groups of one). */
  shards: number;
  /** The cluster as this node sees it; null for a lone node. */
  cluster: ClusterViewJson | null;
}

/** What a node view is read from; server.ts wires it. */
export interface NodeViewSources {
  nodeId: number;
  http: () => string;
  startedAtMs: number;
  sampler: NodeSampler;
  keys: () => number;
  storeBytes: () => number;
  shards: number;
  cluster: (() => ClusterViewJson) | null;
}

export function readNodeView(s: NodeViewSources): NodeView {
  return {
    nodeId: s.nodeId,
    http: s.http(),
    uptimeMs: Date.now() - s.startedAtMs,
    ...s.sampler.requestRates(),
    keys: s.keys(),
    storeBytes: s.storeBytes(),
    rssBytes: process.memoryUsage.rss(),
    elections: s.sampler.recentElections(),
    shards: s.shards,
    cluster: s.cluster ? s.cluster() : null,
  };
}
