// A Piccolo node: the IO thread (this one) runs a uWebSockets.js event loop
// with the WebSocket and HTTP front doors, and routes every request over
// shared-memory rings to the worker thread that owns its key's shard.
// Security (runtime-node/security/, docs/security.md): one password for every
// door, an origin allow list for browsers, protected mode, TLS, and ports
// that are never silently shared.

import './uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { makeLimits, type Limits } from '../core/limits.js';
import { ConnectionBudget } from './io/connection-budget.js';
import { drainDoor, IdleWatch } from './io/graceful-drain.js';
import { Dispatcher } from '../core/node/dispatcher.js';
import { mountHttp } from './io/http-front.js';
import { SendBatcher } from './io/send-batcher.js';
import { WorkerPool, type WorkerInfo } from './io/worker-pool.js';
import type { SyncMode } from '../core/storage/log-storage.js';
import { formatFsyncMode } from './storage/fsync-mode.js';
import { openDataDir, type DataDir } from './storage/data-dir.js';
import { mountWebSocket, WS_AUTH_TIMEOUT_MS } from './io/ws-front.js';
import { WatchHub } from './watch/watch-hub.js';
import { workerExpiryFeed } from './pubsub/keyspace-notifier.js';
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from '../core/watch/watch-limits.js';
import { startRespFront, type RespFront } from './io/resp-front.js';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_RESP_PORT } from './config/server-settings.js';
import { listenExclusive } from './security/exclusive-listen.js';
import { PasswordGate, type AuthDoor } from './security/password-gate.js';
import { doorSecurity } from './security/door-security.js';
import type { TlsFiles } from './security/tls-files.js';
import { registerRedisSettings, type MemorySetting, type PasswordSetting } from './config/redis-settings.js';
import { shardMemoryBudgetBytes } from '../core/shard/memory-budget.js';
import { SettingsRegistry } from './config/settings-registry.js';
import { mountMetricsRoute } from './metrics/metrics-route.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { MetricsRespStats } from './metrics/resp-stats.js';
import { ClusterNode, type ClusterOptions } from './cluster/cluster-node.js';
import { RespClusterExecutor } from './cluster/resp-cluster-executor.js';
import { NodeDashboard } from './dashboard/node-dashboard.js';
import { pubsubHubFor } from './pubsub/pubsub-hub.js';

export { ListenError } from './security/exclusive-listen.js';
export { ProtectedModeError } from './security/protected-mode.js';
export { TlsConfigError } from './security/tls-files.js';
export { StorageRefusedError } from './io/worker-pool.js';
export { StorageError } from '../core/storage/storage-errors.js';
export { DataDirError } from './storage/data-dir.js';

/** The node id written into a lone node's files (a directory written under another id is refused). */
export const LONE_NODE_ID = 1;
export type { AuthDoor, PasswordGate } from './security/password-gate.js';

export { DEFAULT_HOST, DEFAULT_PORT };
/** Longest a graceful shutdown waits for in-flight requests before closing anyway. */
/** What CONFIG GET requirepass answers when a password is set. */
export const PASSWORD_SHOWN_AS = '(hidden)';
export const SHUTDOWN_DRAIN_MS_MAX = 10_000;

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  workers?: number;
  /** Pin each worker to one CPU (Linux). */
  pin?: boolean;
  /**
   * The data directory: each shard's Raft log, hard state and snapshots, so
   * a restart (or kill -9) keeps every acknowledged write. Absent: data is
   * in memory only and a restart loses it (the CLI's --in-memory).
   */
  dataDir?: string;
  /** When a write is durable before its reply leaves (default always); see docs/durability.md. */
  fsync?: SyncMode;
  /** Store bytes the node may hold, split evenly over its shards; over it writes that add data are refused (OUT_OF_MEMORY). 0 (default): no limit. */
  maxmemory?: number;
  limits?: Partial<Limits>;
  log?: (line: string) => void;
  /** RESP (Redis protocol) port; 0 picks a free one, null disables. Default DEFAULT_RESP_PORT, or 0 when `port` is 0. */
  respPort?: number | null;
  /**
   * The password every door requires: HTTP `Authorization: Bearer`, WebSocket
   * header or auth frame, RESP AUTH. None by default. Change it while running
   * with `server.passwordGate.set()`.
   */
  requirePass?: string;
  /** Called once per refused authentication, with its door (e.g. to count it in metrics). */
  onAuthFailure?: (door: AuthDoor) => void;
  /**
   * Origins (`https://app.example.com`) whose web pages may use the HTTP and
   * WebSocket doors; a request with any other Origin header is refused (403).
   * `'*'` allows every page (unsafe). Default: none.
   */
  allowOrigins?: readonly string[];
  /** Refuse to listen on a non-loopback host without a password (default true); false is unsafe. */
  protectedMode?: boolean;
  /** Serve HTTPS/WSS and RESP over TLS with these PEM files. */
  tls?: TlsFiles;
  /** How long a WebSocket may stay open without authenticating (default WS_AUTH_TIMEOUT_MS). */
  wsAuthTimeoutMs?: number;
  /** Join a static cluster (runtime-node/cluster/, docs/cluster.md); without it the node is alone. */
  cluster?: ClusterOptions;
  /** Redis's notify-keyspace-events at start ("" or absent: off; CONFIG SET changes it; docs/pubsub.md). */
  notifyKeyspaceEvents?: string;
  /** Bounds of watches (core/watch/watch-limits.ts); default DEFAULT_WATCH_LIMITS. */
  watchLimits?: Partial<WatchLimits>;
}

export interface PiccoloServer {
  readonly host: string;
  readonly port: number;
  /** The RESP port, or null when RESP is off. */
  readonly respPort: number | null;
  /** The peer port of a cluster node, or null for a lone node. */
  readonly peerPort: number | null;
  readonly workers: readonly WorkerInfo[];
  readonly limits: Limits;
  /** Whether the doors speak TLS (https/wss, RESP over TLS). */
  readonly tls: boolean;
  /** The data directory (absolute), or null: in memory only. */
  readonly dataDir: string | null;
  readonly fsync: SyncMode;
  /** The password of every door; `set()` changes it at run time (Redis's CONFIG SET requirepass). */
  readonly passwordGate: PasswordGate;
  /** Counters and gauges of this node (GET /metrics); `metrics.authFailed(door)` counts a failed login. */
  readonly metrics: NodeMetrics;
  /** What CONFIG GET / SET see; register more settings here. */
  readonly settings: SettingsRegistry;
  /** Stop accepting, finish in-flight requests, stop the workers. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<PiccoloServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const limits = makeLimits(options.limits);
  const host = options.host ?? DEFAULT_HOST;
  // Refusals that need nothing started come first, so they leave nothing to stop.
  const { originPolicy, pageOriginPolicy, tls, passwordGate } = doorSecurity(host, options);
  const fsync = options.fsync ?? { kind: 'always' };
  // A durable cluster node keeps votes on disk: the vote gate is for in-memory nodes only (cluster/vote-gate.ts).
  const cluster = options.cluster ? new ClusterNode({ ...options.cluster, durable: options.dataDir !== undefined, ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}) }, limits, log) : null;
  const dataDir: DataDir | null = options.dataDir === undefined ? null : openDataDir(options.dataDir, cluster ? cluster.options.groups : null, limits.collections);
  const workersWanted = options.workers ?? WorkerPool.defaultWorkerCount();
  // A data directory fixes the shard count it was written with (keys hash to shards by it); workers share them.
  const shards = cluster ? cluster.options.groups : dataDir?.shards ?? workersWanted;
  const workers = cluster ? cluster.workerCount(workersWanted) : Math.min(workersWanted, shards);
  if (!cluster && workers < workersWanted) log(`warning: ${dataDir!.path} holds ${shards} shard${shards === 1 ? '' : 's'}: running ${workers} workers, not ${workersWanted}`);
  const batcher = new SendBatcher();
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start({
      workers, shards, limits, pin: options.pin ?? true, log, afterReplies: batcher.flushAll,
      storage: dataDir === null ? null : { dataDir: dataDir.path, nodeId: cluster ? cluster.options.nodeId : LONE_NODE_ID, syncMode: fsync },
      ...(cluster ? { cluster } : {}),
    });
  } catch (error) {
    dataDir?.release();
    throw error;
  }
  // A cluster node routes through the cluster router: requests for groups led elsewhere are redirected.
  const dispatcher = new Dispatcher(cluster ? cluster.router(pool) : pool, limits);
  // HTTP and WebSocket: any cluster node serves any request, forwarding it to the group's leader; RESP keeps MOVED.
  const forwarding = cluster ? new Dispatcher(cluster.forwardingRouter(), limits) : dispatcher;
  const respExecutor = cluster ? new RespClusterExecutor(pool.slotMap, dispatcher, forwarding) : dispatcher;
  const budget = new ConnectionBudget(limits.connectionsMax);
  const startedAtMs = Date.now();
  const metrics = new NodeMetrics(pool);
  passwordGate.onFailure = (door) => {
    metrics.authFailed(door);
    options.onAuthFailure?.(door);
  };
  const settings = new SettingsRegistry();
  // CONFIG GET requirepass never shows the password (the gate keeps only a digest); CONFIG SET changes every door's.
  const password: PasswordSetting = {
    get: () => (passwordGate.required ? PASSWORD_SHOWN_AS : null),
    set: (p) => { passwordGate.set(p); passwordClear = p; },
  };
  // Kept in clear only to ask the other nodes for their dashboard numbers (a cluster shares one password).
  let passwordClear: string | null = options.requirePass ?? null;
  let respPortBound = 0;
  let maxmemoryBytes = 0;
  const maxmemory: MemorySetting = {
    get: () => maxmemoryBytes,
    set: (bytes) => {
      maxmemoryBytes = bytes;
      pool.setMemoryBudget(shardMemoryBudgetBytes(bytes, pool.slotMap.shardCount));
    },
  };
  maxmemory.set(options.maxmemory ?? 0);
  registerRedisSettings(settings, { budget, password, maxmemory, limits, host, respPort: () => respPortBound });

  let shuttingDown = false;
  let httpInFlight = 0;
  const idle = new IdleWatch(() => pool.inFlight === 0 && httpInFlight === 0);
  const idleCheck = idle.check;

  const app = tls ? uWS.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uWS.App();
  mountMetricsRoute(app, { metrics, authorize: (req) => passwordGate.authorizeHttp(req) });
  const dashboard = new NodeDashboard({
    nodeId: cluster ? cluster.options.nodeId : LONE_NODE_ID, meter: metrics.requests, workers: pool, cluster, startedAtMs,
    tls: tls !== null, originPolicy: pageOriginPolicy, passwordGate, password: () => passwordClear || null,
  });
  dashboard.mount(app);
  const { sockets } = mountWebSocket(app, {
    limits, dispatcher: metrics.executorFor('ws', forwarding), budget: metrics.budgetFor('ws', budget),
    isShuttingDown: () => shuttingDown, onIdleCheck: idleCheck, batcher,
    passwordGate, originPolicy: pageOriginPolicy, authTimeoutMs: options.wsAuthTimeoutMs ?? WS_AUTH_TIMEOUT_MS, statusFeed: dashboard.feed,
    // Watches read the local workers' changes: a cluster node's covers the groups it holds replicas of (docs/watch.md).
    watches: new WatchHub(pool, { ...DEFAULT_WATCH_LIMITS, ...options.watchLimits }, cluster ? () => cluster.hosted : null),
  });
  mountHttp(app, {
    limits,
    dispatcher: metrics.executorFor('http', forwarding),
    passwordGate,
    originPolicy,
    isShuttingDown: () => shuttingDown,
    health: () => ({
      status: shuttingDown ? 'shutting-down' : 'ok',
      workers: pool.infos.map((w) => ({ index: w.index, pinned: w.pinned, cpu: w.cpu, tid: w.tid })),
      keys: pool.keyCount(),
      connections: budget.count,
      uptimeMs: Date.now() - startedAtMs,
      ...(cluster ? { cluster: cluster.healthReport() } : {}),
    }),
    ...(cluster ? { cluster: () => cluster.healthReport() } : {}),
    ...(cluster ? { clusterAdmin: (action: string, body: unknown, authorization: string) => cluster.admin.handle(action, body, authorization) } : {}),
    onStart: () => { httpInFlight++; },
    onFinish: () => { httpInFlight--; idleCheck(); },
  });

  let listenToken: uWS.us_listen_socket;
  try {
    listenToken = await listenExclusive(app, host, options.port ?? DEFAULT_PORT, 'HTTP/WebSocket');
  } catch (error) {
    await pool.stop();
    dataDir?.release();
    dashboard.close();
    app.close();
    throw error;
  }
  const port = uWS.us_socket_local_port(listenToken);
  const advertised = cluster ? cluster.options.advertiseHost : host;
  pageOriginPolicy.setOwnAddresses(tls ? 'https' : 'http', [host, advertised], port);
  dashboard.setHttpAddress(`${advertised}:${port}`);
  const respPort = options.respPort === undefined ? (options.port === 0 ? 0 : DEFAULT_RESP_PORT) : options.respPort;
  // Pub/sub: a cluster node's PUBLISH reaches the other nodes' subscribers over the peer links (docs/pubsub.md).
  const pubsub = pubsubHubFor(limits, log);
  cluster?.attachPubsub(pubsub);
  let resp: RespFront | null = null;
  if (respPort !== null) {
    try {
      resp = await startRespFront({
        host, port: respPort, limits, dispatcher: metrics.executorFor('resp', respExecutor),
        budget: metrics.budgetFor('resp', budget), shardCount: pool.slotMap.shardCount,
        passwordGate, tls, log, stats: new MetricsRespStats(metrics), settings, startedAtMs, httpPort: port, workers: pool.workerCount,
        storage: dataDir === null ? null : { dataDir: dataDir.path, fsync: formatFsyncMode(fsync) },
        isShuttingDown: () => shuttingDown, onIdleCheck: idleCheck, batcher, cluster,
        notifyKeyspaceEvents: options.notifyKeyspaceEvents ?? '', pubsub, expiryFeed: workerExpiryFeed(pool, cluster),
      });
    } catch (error) {
      uWS.us_listen_socket_close(listenToken);
      await pool.stop();
      dataDir?.release();
      dashboard.close();
      app.close();
      metrics.close();
      throw error;
    }
    respPortBound = resp.port;
  }
  if (cluster) {
    const advertise = cluster.options.advertiseHost;
    try {
      await cluster.start({ resp: resp ? `${advertise}:${resp.port}` : null, http: `${advertise}:${port}` }, pool);
    } catch (error) {
      await cluster.close();
      uWS.us_listen_socket_close(listenToken);
      await resp?.close();
      await pool.stop();
      dashboard.close();
      app.close();
      metrics.close();
      throw error;
    }
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      dashboard.close();
      resp?.stopAccepting();
      await drainDoor(listenToken, sockets, idle, SHUTDOWN_DRAIN_MS_MAX, 'server shutting down');
      await resp?.close();
      await cluster?.close();
      // The workers close their storages (what was synced becomes durable) before the directory's lock goes.
      await pool.stop();
      dataDir?.release();
      app.close();
      metrics.close();
    })();
    return closing;
  };

  return {
    host, port, respPort: resp?.port ?? null, peerPort: cluster ? cluster.peerPort : null, workers: pool.infos, limits, tls: tls !== null,
    dataDir: dataDir?.path ?? null, fsync, passwordGate, metrics, settings, close,
  };
}
