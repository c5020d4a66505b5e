// What the dashboard shows, built by the node serving the page: its own view
// joined with every other node's (each asked for GET /v1/dashboard/node over
// HTTP, with the password the cluster shares): nodes with their rates, keys
// and memory; groups with leader, term, commit/applied index and each
// follower's lag (the same arithmetic as `piccolo cluster status`); recent
// elections merged from every node. A node that does not answer in
// STATUS_PEER_TIMEOUT_MS shows as unreachable.

import { statusReport, type GroupStatusReport } from '../cli/cluster-status.js';
import { ELECTIONS_RECENT_MAX, type ElectionSeen } from './node-sampler.js';
import type { ClusterViewJson, NodeView } from './node-view.js';

/**
 * How long the build waits for another node's view: under the refresh period
 * (DASHBOARD_SAMPLE_MS), so a dead node shows as unreachable in the next push
 * instead of stalling it.
 */
export const STATUS_PEER_TIMEOUT_MS = 800;
export const DASHBOARD_NODE_PATH = '/v1/dashboard/node';
export const DASHBOARD_STATUS_PATH = '/v1/dashboard/status';

export interface NodeStatus {
  id: number;
  http: string | null;
  /** Whether the serving node's peer link to it is up (always true for itself). */
  linkUp: boolean;
  /** Whether it answered for its numbers; false leaves them out. */
  reachable: boolean;
  view?: Omit<NodeView, 'cluster' | 'elections'>;
}

export interface DashboardStatus {
  /** The node that built this status (the one the page is connected to, or the one a gateway asked). */
  nodeId: number;
  atMs: number;
  nodes: NodeStatus[];
  groups: GroupStatusReport[];
  /** Leader changes seen by any node, newest first, at most ELECTIONS_RECENT_MAX. */
  elections: (ElectionSeen & { seenBy: number[] })[];
  /** The prefix watch is not built yet (docs/observability.md); the page says so. */
  watch: 'not-built';
}

export interface ClusterStatusSources {
  ownView: () => NodeView;
  /** The password to ask other nodes with (a cluster shares one), or null. */
  password: () => string | null;
  tls: boolean;
}

/** GET `path` of the node at `http` (host:port) as JSON, or null when it does not answer 200 in time. */
export async function fetchNodeJson<T>(http: string, path: string, password: string | null, tls: boolean): Promise<T | null> {
  try {
    const response = await fetch(`${tls ? 'https' : 'http'}://${http}${path}`, {
      headers: password === null ? {} : { authorization: `Bearer ${password}` },
      signal: AbortSignal.timeout(STATUS_PEER_TIMEOUT_MS),
    });
    return response.ok ? await response.json() as T : null;
  } catch {
    return null; // shown as unreachable
  }
}

export async function buildClusterStatus(s: ClusterStatusSources): Promise<DashboardStatus> {
  const own = s.ownView();
  const views = new Map<number, NodeView>([[own.nodeId, own]]);
  const others = own.cluster ? own.cluster.nodes.filter((n) => n.id !== own.nodeId && n.http) : [];
  await Promise.all(others.map(async (n) => {
    const view = await fetchNodeJson<NodeView>(n.http!, DASHBOARD_NODE_PATH, s.password(), s.tls);
    if (view !== null && view.nodeId === n.id) views.set(n.id, view);
  }));
  return {
    nodeId: own.nodeId, atMs: Date.now(), nodes: nodesOf(own, views), groups: groupsOf(own, views),
    elections: mergeElections(views), watch: 'not-built',
  };
}

function nodesOf(own: NodeView, views: ReadonlyMap<number, NodeView>): NodeStatus[] {
  const listed = own.cluster ? own.cluster.nodes : [{ id: own.nodeId, http: own.http, linkUp: true }];
  return listed.map((n) => {
    const view = views.get(n.id);
    const status: NodeStatus = { id: n.id, http: n.http ?? view?.http ?? null, linkUp: n.id === own.nodeId || n.linkUp, reachable: view !== undefined };
    if (view) {
      const { cluster: _cluster, elections: _elections, ...numbers } = view;
      status.view = numbers;
    }
    return status;
  });
}

function groupsOf(own: NodeView, views: ReadonlyMap<number, NodeView>): GroupStatusReport[] {
  if (own.cluster === null) {
    // A lone node: each shard is a group of one, led by the node itself; it runs no consensus, so no term or index.
    return Array.from({ length: own.shards }, (_, group) => ({
      group, slots: [0, 0], members: [own.nodeId], leader: own.nodeId, term: null, commit: null, applied: null, learners: [],
      replicas: [{ node: own.nodeId, role: 'leader', term: 0, commit: 0, applied: 0, lag: 0 }],
    }));
  }
  const clusterViews = new Map<number, ClusterViewJson>();
  for (const [id, view] of views) if (view.cluster) clusterViews.set(id, view.cluster);
  return statusReport(own.cluster, clusterViews);
}

function mergeElections(views: ReadonlyMap<number, NodeView>): DashboardStatus['elections'] {
  const byChange = new Map<string, ElectionSeen & { seenBy: number[] }>();
  for (const [node, view] of views) {
    for (const e of view.elections) {
      const key = `${e.group}/${e.term}/${e.leader}`;
      const known = byChange.get(key);
      if (known) {
        known.seenBy.push(node);
        known.atMs = Math.min(known.atMs, e.atMs);
      } else {
        byChange.set(key, { ...e, seenBy: [node] });
      }
    }
  }
  return [...byChange.values()].sort((a, b) => b.atMs - a.atMs).slice(0, ELECTIONS_RECENT_MAX);
}
