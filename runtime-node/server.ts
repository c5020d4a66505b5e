// A Piccolo node: the IO thread (this one) runs a uWebSockets.js event loop
// with the WebSocket and HTTP front doors, and routes every request over
// shared-memory rings to the worker thread that owns its key's shard.

import './uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { WS_CLOSE } from '../core/errors.js';
import { makeLimits, type Limits } from '../core/limits.js';
import { ConnectionBudget } from './io/connection-budget.js';
import { Dispatcher } from '../core/node/dispatcher.js';
import { mountHttp } from './io/http-front.js';
import { SendBatcher } from './io/send-batcher.js';
import { WorkerPool, type WorkerInfo } from './io/worker-pool.js';
import { mountWebSocket } from './io/ws-front.js';
import { DEFAULT_RESP_PORT, startRespFront, type RespFront } from './io/resp-front.js';
import { passwordHolder, registerRedisSettings } from './config/redis-settings.js';
import { SettingsRegistry } from './config/settings-registry.js';
import { mountMetricsRoute } from './metrics/metrics-route.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { MetricsRespStats } from './metrics/resp-stats.js';

export const DEFAULT_PORT = 7700;
export const DEFAULT_HOST = '127.0.0.1';
/** Longest a graceful shutdown waits for in-flight requests before closing anyway. */
export const SHUTDOWN_DRAIN_MS_MAX = 10_000;

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  workers?: number;
  /** Pin each worker to one CPU (Linux). */
  pin?: boolean;
  limits?: Partial<Limits>;
  log?: (line: string) => void;
  /** RESP (Redis protocol) port; 0 picks a free one, null disables. Default DEFAULT_RESP_PORT, or 0 when `port` is 0. */
  respPort?: number | null;
  /** Password RESP clients must AUTH with; none by default. */
  requirePass?: string;
}

export interface PiccoloServer {
  readonly host: string;
  readonly port: number;
  /** The RESP port, or null when RESP is off. */
  readonly respPort: number | null;
  readonly workers: readonly WorkerInfo[];
  readonly limits: Limits;
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
  const workers = options.workers ?? WorkerPool.defaultWorkerCount();
  const batcher = new SendBatcher();
  const pool = await WorkerPool.start({ workers, limits, pin: options.pin ?? true, log, afterReplies: batcher.flushAll });
  const dispatcher = new Dispatcher(pool, limits);
  const budget = new ConnectionBudget(limits.connectionsMax);
  const startedAtMs = Date.now();
  const metrics = new NodeMetrics(pool);
  const settings = new SettingsRegistry();
  const password = passwordHolder(options.requirePass ?? null);
  let respPortBound = 0;
  registerRedisSettings(settings, { budget, password, limits, host, respPort: () => respPortBound });

  let shuttingDown = false;
  let httpInFlight = 0;
  let onIdle: (() => void) | null = null;
  const idleCheck = (): void => {
    if (onIdle && pool.inFlight === 0 && httpInFlight === 0) onIdle();
  };

  const app = uWS.App();
  mountMetricsRoute(app, { metrics });
  const { sockets } = mountWebSocket(app, {
    limits, dispatcher: metrics.executorFor('ws', dispatcher), budget: metrics.budgetFor('ws', budget), isShuttingDown: () => shuttingDown, onIdleCheck: idleCheck, batcher,
  });
  mountHttp(app, {
    limits,
    dispatcher: metrics.executorFor('http', dispatcher),
    isShuttingDown: () => shuttingDown,
    health: () => ({
      status: shuttingDown ? 'shutting-down' : 'ok',
      workers: pool.infos.map((w) => ({ index: w.index, pinned: w.pinned, cpu: w.cpu, tid: w.tid })),
      keys: pool.keyCount(),
      connections: budget.count,
      uptimeMs: Date.now() - startedAtMs,
    }),
    onStart: () => { httpInFlight++; },
    onFinish: () => { httpInFlight--; idleCheck(); },
  });

  const listenToken = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(host, options.port ?? DEFAULT_PORT, (token) => {
      if (token) resolve(token);
      else reject(new Error(`cannot listen on ${host}:${options.port ?? DEFAULT_PORT}`));
    });
  });
  const port = uWS.us_socket_local_port(listenToken);
  const respPort = options.respPort === undefined ? (options.port === 0 ? 0 : DEFAULT_RESP_PORT) : options.respPort;
  let resp: RespFront | null = null;
  if (respPort !== null) {
    try {
      resp = await startRespFront({
        host, port: respPort, limits, dispatcher: metrics.executorFor('resp', dispatcher),
        budget: metrics.budgetFor('resp', budget), shardCount: pool.slotMap.shardCount,
        requirePass: options.requirePass ?? null, password, stats: new MetricsRespStats(metrics), settings, startedAtMs, httpPort: port, workers: pool.workerCount,
        isShuttingDown: () => shuttingDown, onIdleCheck: idleCheck, batcher,
      });
    } catch (error) {
      uWS.us_listen_socket_close(listenToken);
      await pool.stop();
      app.close();
      metrics.close();
      throw error;
    }
    respPortBound = resp.port;
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      uWS.us_listen_socket_close(listenToken);
      resp?.stopAccepting();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SHUTDOWN_DRAIN_MS_MAX);
        onIdle = () => { clearTimeout(timer); resolve(); };
        idleCheck();
      });
      for (const ws of [...sockets]) ws.end(WS_CLOSE.SHUTTING_DOWN, 'server shutting down');
      await resp?.close();
      await pool.stop();
      app.close();
      metrics.close();
    })();
    return closing;
  };

  return { host, port, respPort: resp?.port ?? null, workers: pool.infos, limits, metrics, settings, close };
}
