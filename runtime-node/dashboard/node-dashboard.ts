// A node's dashboard, wired in one place for server.ts: the sampler (rates,
// elections), the node's own view, the status feed the WebSocket door
// pushes, and the HTTP routes with the page.

import '../uws-env.js'; // must precede the uWebSockets.js import
import type uWS from 'uWebSockets.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { WorkerSnapshot } from '../io/worker-pool.js';
import type { RequestMeter } from '../metrics/request-meter.js';
import type { OriginPolicy } from '../security/origin-policy.js';
import type { PasswordGate } from '../security/password-gate.js';
import { mountDashboard } from './dashboard-routes.js';
import { NodeSampler } from './node-sampler.js';
import { readNodeView, type ClusterViewJson, type NodeView } from './node-view.js';
import { buildClusterStatus } from './status-build.js';
import { StatusFeed } from './status-feed.js';

export interface NodeDashboardOptions {
  nodeId: number;
  meter: RequestMeter;
  workers: { keyCount(): number; workerSnapshots(): WorkerSnapshot[]; readonly slotMap: { readonly shardCount: number } };
  cluster: ClusterNode | null;
  startedAtMs: number;
  tls: boolean;
  originPolicy: OriginPolicy;
  passwordGate: PasswordGate;
  /** The node's password in clear (to ask the other nodes with), or null. */
  password: () => string | null;
}

export class NodeDashboard {
  readonly feed: StatusFeed;
  private readonly sampler: NodeSampler;
  private http = '';

  constructor(private readonly opts: NodeDashboardOptions) {
    const { cluster } = opts;
    this.sampler = new NodeSampler(opts.meter, cluster ? {
      groups: () => cluster.topology.groupsOf(cluster.options.nodeId),
      leaderAndTerm: (group) => cluster.status.read(group),
    } : null);
    this.feed = new StatusFeed(() => buildClusterStatus({ ownView: () => this.ownView(), password: opts.password, tls: opts.tls }));
  }

  /** Where this node's HTTP door is reached (host:port), once it listens. */
  setHttpAddress(hostPort: string): void {
    this.http = hostPort;
  }

  ownView(): NodeView {
    const { opts } = this;
    const cluster = opts.cluster;
    return readNodeView({
      nodeId: opts.nodeId,
      http: () => this.http,
      startedAtMs: opts.startedAtMs,
      sampler: this.sampler,
      keys: () => opts.workers.keyCount(),
      storeBytes: () => opts.workers.workerSnapshots().reduce((n, w) => n + w.dataBytes, 0),
      shards: opts.workers.slotMap.shardCount,
      cluster: cluster ? () => cluster.healthReport() as unknown as ClusterViewJson : null,
    });
  }

  mount(app: uWS.TemplatedApp): void {
    mountDashboard(app, {
      originPolicy: this.opts.originPolicy, passwordGate: this.opts.passwordGate,
      ownView: () => this.ownView(), status: () => this.feed.current(),
    });
  }

  close(): void {
    this.feed.close();
    this.sampler.close();
  }
}
