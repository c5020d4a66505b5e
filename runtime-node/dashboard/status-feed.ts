// The dashboard's live status: this node's own view joined with every other
// node's (each asked for GET /v1/dashboard/node over HTTP), shaped as the
// page shows it: nodes with their rates, keys and memory; groups with leader,
// term, commit/applied index and each follower's lag (the same arithmetic as
// `piccolo cluster status`); recent elections merged from every node.
// Pages subscribe over the WebSocket ({"op":"status"}); while at least one
// does, the status is rebuilt every DASHBOARD_SAMPLE_MS and pushed to all of
// them, so ten open pages cost the peers no more than one.

import { statusReport, type GroupStatusReport } from '../cli/cluster-status.js';
import { DASHBOARD_SAMPLE_MS, ELECTIONS_RECENT_MAX, type ElectionSeen } from './node-sampler.js';
import type { ClusterViewJson, NodeView } from './node-view.js';

/**
 * How long the feed waits for another node's view: under the refresh period,
 * so a dead node shows as unreachable in the next push instead of stalling it.
 */
export const STATUS_PEER_TIMEOUT_MS = 800;
export const DASHBOARD_NODE_PATH = '/v1/dashboard/node';

export interface NodeStatus {
  id: number;
  http: string | null;
  /** Whether this node's peer link to it is up (always true for itself). */
  linkUp: boolean;
  /** Whether it answered for its numbers; false leaves them out. */
  reachable: boolean;
  view?: Omit<NodeView, 'cluster' | 'elections'>;
}

export interface DashboardStatus {
  /** The node that built this status (the one the page is connected to). */
  nodeId: number;
  atMs: number;
  nodes: NodeStatus[];
  groups: GroupStatusReport[];
  /** Leader changes seen by any node, newest first, at most ELECTIONS_RECENT_MAX. */
  elections: (ElectionSeen & { seenBy: number[] })[];
  /** The prefix watch is not built yet (docs/observability.md); the page says so. */
  watch: 'not-built';
}

export interface StatusFeedOptions {
  ownView: () => NodeView;
  /** The password to ask other nodes with (a cluster shares one), or null. */
  password: () => string | null;
  tls: boolean;
}

export class StatusFeed {
  private readonly listeners = new Set<(status: DashboardStatus) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private building: Promise<DashboardStatus> | null = null;
  private last: DashboardStatus | null = null;

  constructor(private readonly opts: StatusFeedOptions) {}

  /** Receive the status now and every DASHBOARD_SAMPLE_MS until the returned function is called. */
  subscribe(listener: (status: DashboardStatus) => void): () => void {
    this.listeners.add(listener);
    if (this.last && Date.now() - this.last.atMs < DASHBOARD_SAMPLE_MS) listener(this.last);
    else void this.current().then((s) => { if (this.listeners.has(listener)) listener(s); }, () => {});
    if (this.timer === null) {
      this.timer = setInterval(() => this.push(), DASHBOARD_SAMPLE_MS);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** The status as of now (concurrent callers share one build). */
  current(): Promise<DashboardStatus> {
    this.building ??= this.build().finally(() => { this.building = null; });
    return this.building;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private push(): void {
    void this.current().then((status) => { for (const l of this.listeners) l(status); }, () => {});
  }

  private async build(): Promise<DashboardStatus> {
    const own = this.opts.ownView();
    const views = new Map<number, NodeView>([[own.nodeId, own]]);
    const others = own.cluster ? own.cluster.nodes.filter((n) => n.id !== own.nodeId && n.http) : [];
    await Promise.all(others.map(async (n) => {
      const view = await this.fetchView(n.http!);
      if (view !== null && view.nodeId === n.id) views.set(n.id, view);
    }));
    const status: DashboardStatus = {
      nodeId: own.nodeId, atMs: Date.now(), nodes: nodesOf(own, views), groups: groupsOf(own, views),
      elections: mergeElections(views), watch: 'not-built',
    };
    this.last = status;
    return status;
  }

  private async fetchView(http: string): Promise<NodeView | null> {
    const password = this.opts.password();
    try {
      const response = await fetch(`${this.opts.tls ? 'https' : 'http'}://${http}${DASHBOARD_NODE_PATH}`, {
        headers: password === null ? {} : { authorization: `Bearer ${password}` },
        signal: AbortSignal.timeout(STATUS_PEER_TIMEOUT_MS),
      });
      return response.ok ? await response.json() as NodeView : null;
    } catch {
      return null; // shown as unreachable
    }
  }
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
      group, slots: [0, 0], members: [own.nodeId], leader: own.nodeId, term: null, commit: null, applied: null,
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
