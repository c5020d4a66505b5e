// A Piccolo gateway (`piccolo gateway`, docs/gateway.md): a stateless
// process serving the same REST/JSON and WebSocket (JSON text and Cap'n
// Proto binary frames) API as a node, by mounting the node's own doors
// (runtime-node/io/http-front.ts, ws-front.ts) over a GatewayExecutor that
// sends each request straight to its group's leader in Cap'n Proto. It keeps
// no data: the slot -> leader map is read from the nodes (map-refresher.ts).
//
// Security as on a node (runtime-node/security/): one password for clients
// on every door, an origin allow list, protected mode (a non-loopback host
// needs a password), TLS; towards the nodes it authenticates with their
// password.

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { resolveOptions } from '../../client/options.js';
import { makeLimits, type Limits } from '../../core/limits.js';
import { ConnectionBudget } from '../io/connection-budget.js';
import { drainDoor, IdleWatch } from '../io/graceful-drain.js';
import { mountHttp } from '../io/http-front.js';
import { SendBatcher } from '../io/send-batcher.js';
import { mountWebSocket, WS_AUTH_TIMEOUT_MS } from '../io/ws-front.js';
import { RelayWatchSource } from '../watch/relay-watch-source.js';
import { DEFAULT_WATCH_LIMITS } from '../../core/watch/watch-limits.js';
import { DEFAULT_HOST } from '../config/server-settings.js';
import { listenExclusive } from '../security/exclusive-listen.js';
import { mountGatewayDashboard } from '../dashboard/relayed-status.js';
import { doorSecurity } from '../security/door-security.js';
import type { TlsFiles } from '../security/tls-files.js';
import { GatewayExecutor } from './gateway-executor.js';
import {
  checkGatewayLimits, GATEWAY_DEFAULT_PORT, GATEWAY_IN_FLIGHT_MAX_DEFAULT, MAP_FIRST_WAIT_MS, NODE_CONNECT_TIMEOUT_MS,
  NODE_CONNECTIONS_DEFAULT, NODE_REQUEST_TIMEOUT_MS,
} from './gateway-limits.js';
import { GatewayRouter } from './gateway-router.js';
import { MapRefresher, NodePasswordRefusedError } from './map-refresher.js';

/** Longest a graceful shutdown waits for requests in flight before closing anyway. */
export const GATEWAY_DRAIN_MS_MAX = 10_000;
/** Pause between reads of the first map while the nodes start. */
const FIRST_MAP_RETRY_MS = 200;

export interface GatewayOptions {
  /** The nodes' HTTP/WebSocket endpoints, `host:port` (any subset of the cluster: the rest is learnt from the map). */
  nodes: readonly string[];
  host?: string;
  /** 0 picks a free port. Default GATEWAY_DEFAULT_PORT. */
  port?: number;
  /** The password clients must give on every door. None by default. */
  requirePass?: string;
  /** The password the nodes ask for (default: requirePass, as when one password guards the whole deployment). */
  nodePassword?: string;
  allowOrigins?: readonly string[];
  protectedMode?: boolean;
  tls?: TlsFiles;
  /**
   * The nodes serve TLS (`piccolo server --tls-cert`): dial wss:// and read
   * https://. Their certificates must be trusted by Node: a private CA goes
   * in NODE_EXTRA_CA_CERTS.
   */
  nodeTls?: boolean;
  /** WebSocket connections to each node (default NODE_CONNECTIONS_DEFAULT). */
  connectionsPerNode?: number;
  /** Requests held for the nodes at once before OVERLOADED (default GATEWAY_IN_FLIGHT_MAX_DEFAULT). */
  inFlightMax?: number;
  limits?: Partial<Limits>;
  log?: (line: string) => void;
}

export interface PiccoloGateway {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly groupCount: number;
  readonly router: GatewayRouter;
  close(): Promise<void>;
}

/** Reads the map until one node answers or MAP_FIRST_WAIT_MS pass (then throws the last reason); a refused password ends it at once. */
async function firstMap(refresher: MapRefresher): Promise<void> {
  const deadline = performance.now() + MAP_FIRST_WAIT_MS;
  for (;;) {
    try {
      await refresher.read();
      return;
    } catch (error) {
      if (error instanceof NodePasswordRefusedError || performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, FIRST_MAP_RETRY_MS));
    }
  }
}

export async function startGateway(options: GatewayOptions): Promise<PiccoloGateway> {
  checkGatewayLimits();
  const log = options.log ?? ((line: string) => console.error(line));
  const limits = makeLimits(options.limits);
  const host = options.host ?? DEFAULT_HOST;
  const { originPolicy, pageOriginPolicy, tls, passwordGate } = doorSecurity(host, options);
  const nodePassword = options.nodePassword ?? options.requirePass;
  const client = resolveOptions({
    format: 'binary', requestTimeoutMs: NODE_REQUEST_TIMEOUT_MS, connectTimeoutMs: NODE_CONNECT_TIMEOUT_MS,
    pipelineMax: limits.pipelineMax, frameBytesMax: limits.frameBytesMax,
    ...(nodePassword !== undefined ? { password: nodePassword, passwordVia: 'header' as const } : {}),
  });

  let router: GatewayRouter | null = null;
  const refresher = new MapRefresher(options.nodes, nodePassword ?? null, options.nodeTls ?? false, (map) => router?.handleMap(map), log);
  router = new GatewayRouter({
    refresher, client, nodeTls: options.nodeTls ?? false,
    connectionsPerNode: options.connectionsPerNode ?? NODE_CONNECTIONS_DEFAULT,
    inFlightMax: options.inFlightMax ?? GATEWAY_IN_FLIGHT_MAX_DEFAULT,
  });
  await firstMap(refresher);
  refresher.start();
  const executor = new GatewayExecutor(router, limits);

  let shuttingDown = false;
  const idle = new IdleWatch(() => router.inFlight === 0);
  const idleCheck = idle.check;
  const app = tls ? uWS.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uWS.App();
  const statusFeed = mountGatewayDashboard(app, {
    originPolicy: pageOriginPolicy, passwordGate, endpoints: () => refresher.current?.endpoints ?? options.nodes,
    nodePassword: nodePassword ?? null, nodeTls: options.nodeTls ?? false,
  });
  const { sockets } = mountWebSocket(app, {
    // A binary request goes to its node as its own frame, and the node's ok reply back as its frame (passthrough-format.ts).
    passBinaryFrames: true,
    limits, dispatcher: executor, budget: new ConnectionBudget(limits.connectionsMax), isShuttingDown: () => shuttingDown,
    onIdleCheck: idleCheck, batcher: new SendBatcher(), passwordGate, originPolicy: pageOriginPolicy, authTimeoutMs: WS_AUTH_TIMEOUT_MS, statusFeed,
    // Each watch relayed to one node (runtime-node/watch/relay-watch-source.ts).
    watches: new RelayWatchSource(DEFAULT_WATCH_LIMITS, () => refresher.current?.endpoints ?? options.nodes, client, options.nodeTls ?? false,
      () => refresher.current),
  });
  mountHttp(app, {
    limits, dispatcher: executor, passwordGate, originPolicy, isShuttingDown: () => shuttingDown,
    // No `cluster`: GET /v1/cluster answers NOT_FOUND, so a cluster-aware client treats the gateway as one node.
    health: () => ({ status: shuttingDown ? 'shutting-down' : 'ok', role: 'gateway', ...router.status() }),
    onStart: () => {},
    onFinish: idleCheck,
  });
  let listenToken: uWS.us_listen_socket;
  try {
    listenToken = await listenExclusive(app, host, options.port ?? GATEWAY_DEFAULT_PORT, 'HTTP/WebSocket');
  } catch (error) {
    statusFeed.close();
    refresher.stop();
    await router.close();
    app.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      statusFeed.close();
      await drainDoor(listenToken, sockets, idle, GATEWAY_DRAIN_MS_MAX, 'gateway shutting down');
      refresher.stop();
      await router.close();
      app.close();
    })();
    return closing;
  };
  pageOriginPolicy.setOwnAddresses(tls ? 'https' : 'http', [host], uWS.us_socket_local_port(listenToken));
  return { host, port: uWS.us_socket_local_port(listenToken), tls: tls !== null, groupCount: refresher.current!.groupCount, router, close };
}
