// The RESP (Redis protocol) front door: a TCP listener on the IO thread (the
// same event loop as uWS), so redis-cli, Redis client libraries and
// redis-benchmark can talk to the node. It is one more way into the same
// shards: commands become core requests (core/resp/commands.ts) and go through
// the same Dispatcher as the WebSocket and HTTP doors, under the same
// connection budget. Per-connection work is in resp-connection.ts; the
// commands the server answers itself in resp-*-commands.ts. With TLS
// material it listens with node:tls instead of node:net, on the same port.

import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Limits } from '../../core/limits.js';
import { Dispatcher, executeEach, type RequestExecutor } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Bytes, Reply, Request } from '../../core/protocol/ops.js';
import type { ConnectionPlan } from '../../core/resp/commands.js';
import { crossProtocolWarning } from '../security/cross-protocol-guard.js';
import { ListenError } from '../security/exclusive-listen.js';
import type { PasswordGate } from '../security/password-gate.js';
import type { TlsMaterial } from '../security/tls-files.js';
import type { SettingsRegistry } from '../config/settings-registry.js';
import type { ConnectionBudget } from './connection-budget.js';
import {
  fail, type CommandCall, type Done, type RespNode, type RespNodeFacts, type RespSession, type RespStats,
} from './resp-command-context.js';
import { RespBlocking } from './resp-blocking.js';
import { CLOSE_LINGER_MS, RespConnection, type RespConnectionHost } from './resp-connection.js';
import { runCopy, runKeys, runRandomKey, runRename, runRenameNx, runScan } from './resp-keyspace-commands.js';
import type { SendBatcher } from './send-batcher.js';
import { runCommand, runConfig, runInfo } from './resp-server-commands.js';
import { runAuth, runClient, runHello, runQuit } from './resp-session-commands.js';
import { runFunction, runScript, runScriptCall } from './resp-scripting-commands.js';
import { CLUSTER_COMMAND_HANDLERS, type ClusterView } from './resp-cluster-commands.js';
import { pubsubHubFor, type PubsubHub } from '../pubsub/pubsub-hub.js';
import { KeyspaceNotifier, type ExpiryFeed } from '../pubsub/keyspace-notifier.js';
import type { RespPubsubNode } from './resp-pubsub.js';

export const MAX_CLIENTS_ERROR = 'ERR max number of clients reached';
/** Pending connections the kernel queues for accept(), as Redis's tcp-backlog default. */
const LISTEN_BACKLOG = 511;
/**
 * Longest a TLS handshake may take (Node's default is 120 s): a LAN or WAN
 * handshake takes milliseconds, and a socket that never finishes one should
 * not linger.
 */
export const TLS_HANDSHAKE_MS_MAX = 10_000;

export interface RespFrontOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  limits: Limits;
  dispatcher: RequestExecutor;
  /** Shared with the other front doors: connectionsMax bounds them together. */
  budget: ConnectionBudget;
  shardCount: number;
  /** The node's password (AUTH / HELLO AUTH); without one every connection is let in, as Redis without requirepass. */
  passwordGate: PasswordGate;
  /** Serve RESP over TLS with this certificate and key; null for plain TCP. */
  tls: TlsMaterial | null;
  log: (line: string) => void;
  /** INFO's counters, kept by the node's metrics. */
  stats: RespStats;
  /** What CONFIG GET / SET see. */
  settings: SettingsRegistry;
  /** For INFO. */
  startedAtMs: number;
  httpPort: number;
  workers: number;
  /** Where acknowledged writes are kept (INFO persistence): null when in memory only. */
  storage: RespNodeFacts['storage'];
  isShuttingDown: () => boolean;
  /** Called after each burst of replies, so shutdown can tell when all is done. */
  onIdleCheck: () => void;
  /** The node's send batcher, shared with the WebSocket door. */
  batcher: SendBatcher;
  /** The cluster this node is part of (CLUSTER commands); null or absent for a lone node. */
  cluster?: ClusterView | null;
  /** The node's pub/sub hub (a cluster node shares it with its peer links); absent: the door makes its own. */
  pubsub?: PubsubHub;
  /** notify-keyspace-events at start (Redis's letters; "" or absent: off). */
  notifyKeyspaceEvents?: string;
  /** Where `expired` events come from (the workers' change feed); absent: none fire. */
  expiryFeed?: ExpiryFeed | null;
}

export interface RespFront {
  readonly port: number;
  /** Open RESP connections. */
  readonly connectionCount: number;
  /** Stop accepting connections (open ones go on). */
  stopAccepting(): void;
  /** Close every connection after writing the replies that are ready; resolves when the listener is closed. */
  close(): Promise<void>;
}

/** Piccolo's version, from package.json (found from both the sources and dist/). */
const PICCOLO_VERSION = ((): string => {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'piccolo' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
})();

const COMMAND_HANDLERS: ReadonlyMap<string, (call: CommandCall) => void> = new Map([
  ['hello', runHello],
  ['auth', runAuth],
  ['quit', runQuit],
  ['client', runClient],
  ['command', runCommand],
  ['config', runConfig],
  ['info', runInfo],
  ['keys', runKeys],
  ['scan', runScan],
  ['randomkey', runRandomKey],
  ['rename', runRename],
  ['renamenx', runRenameNx],
  ['copy', runCopy],
  ...['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro'].map((name) => [name, runScriptCall] as const),
  ['script', runScript],
  ['function', runFunction],
  ...CLUSTER_COMMAND_HANDLERS,
]);

class Front implements RespConnectionHost, RespNode {
  readonly stats: RespStats;
  readonly settings: SettingsRegistry;
  readonly facts: RespNodeFacts;
  readonly connections = new Set<RespConnection>();
  readonly limits: Limits;
  readonly passwordGate: PasswordGate;
  readonly shardCount: number;
  readonly cluster: ClusterView | null;
  readonly pubsub: RespPubsubNode;
  /** Parked blocking commands (BLPOP ...): every single request passes through it. */
  readonly blocking = new RespBlocking((request, onReply) => this.executeNow(request, onReply));
  private nextId = 1;

  constructor(private readonly opts: RespFrontOptions, readonly server: Server) {
    this.limits = opts.limits;
    this.passwordGate = opts.passwordGate;
    this.stats = opts.stats;
    this.settings = opts.settings;
    this.shardCount = opts.shardCount;
    this.cluster = opts.cluster ?? null;
    const hub = opts.pubsub ?? pubsubHubFor(opts.limits, opts.log);
    this.pubsub = { hub, notifier: new KeyspaceNotifier(hub, opts.notifyKeyspaceEvents ?? '', opts.expiryFeed ?? null) };
    this.settings.register(this.pubsub.notifier.setting);
    this.facts = {
      version: PICCOLO_VERSION,
      startedAtMs: opts.startedAtMs,
      host: opts.host,
      respPort: 0,
      httpPort: opts.httpPort,
      workers: opts.workers,
      storage: opts.storage,
      connectedClients: () => opts.budget.count,
    };
  }

  /** `owner`: the connection that sent it, which a blocking command that finds nothing parks. */
  execute(request: Request, onReply: ReplyCallback, owner?: object): void {
    this.blocking.execute(request, onReply, owner ?? null);
  }

  private executeNow(request: Request, onReply: ReplyCallback): void {
    if (this.opts.isShuttingDown()) Dispatcher.refuse('SHUTTING_DOWN', onReply);
    else this.opts.dispatcher.execute(request, onReply);
  }

  executeParts(requests: readonly Request[], onReply: (index: number, reply: Reply) => void, commandKeys?: readonly Bytes[]): void {
    const dispatcher = this.opts.dispatcher;
    if (this.opts.isShuttingDown() || dispatcher.executeParts === undefined) {
      executeEach(this, requests, onReply);
    } else {
      dispatcher.executeParts(requests, onReply, commandKeys);
    }
  }

  runConnectionCommand(plan: ConnectionPlan, session: RespSession, nowMs: number, done: Done): void {
    const handler = COMMAND_HANDLERS.get(plan.name);
    // translate() names a connection command this door does not serve: a gap between the two tables.
    if (handler === undefined) return done(fail(`ERR command '${plan.name}' is not supported by this server`));
    handler({ name: plan.name, args: plan.args, session, node: this, nowMs, done });
  }

  *sessions(): Iterable<RespSession> {
    for (const connection of this.connections) yield connection.session;
  }

  markDirty(connection: RespConnection): void {
    // The node's batcher flushes after the current burst of shard replies: one socket write per connection per burst.
    this.opts.batcher.mark(connection.batchFlush);
  }

  onFlushed(): void {
    this.opts.onIdleCheck();
  }

  onReadEnded(connection: RespConnection): void {
    this.blocking.endOwner(connection);
  }

  onClosed(connection: RespConnection): void {
    this.blocking.dropOwner(connection);
    this.connections.delete(connection);
    this.opts.budget.release();
  }

  onHttpDetected(connection: RespConnection): void {
    this.opts.log(crossProtocolWarning(connection.session.remoteAddress));
  }

  handleSocket(socket: Socket): void {
    if (this.opts.isShuttingDown()) {
      this.opts.budget.refused();
      return refuseSocket(socket, '-SHUTTINGDOWN the node is shutting down\r\n');
    }
    if (!this.opts.budget.tryAcquire()) return refuseSocket(socket, `-${MAX_CLIENTS_ERROR}\r\n`);
    this.connections.add(new RespConnection(socket, this, this.nextId++, Date.now()));
  }
}

/**
 * Answer a connection we do not serve with one error line and close it. The
 * socket must read on: with allowHalfOpen it closes only once the client's
 * FIN is read, and the listener's close waits for every socket.
 */
function refuseSocket(socket: Socket, errorLine: string): void {
  socket.on('error', () => {});
  socket.resume();
  socket.end(errorLine);
}

export async function startRespFront(opts: RespFrontOptions): Promise<RespFront> {
  // allowHalfOpen: a client that sends FIN after its commands still gets their replies.
  const server = opts.tls === null
    ? createServer({ allowHalfOpen: true, noDelay: true })
    : createTlsServer({ allowHalfOpen: true, noDelay: true, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: TLS_HANDSHAKE_MS_MAX });
  // Every TCP socket, served or (TLS) still in its handshake, so close() can end the ones no connection owns.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const front = new Front(opts, server);
  // A TLS connection is served once its handshake is done; a failed handshake only closes that socket.
  server.on(opts.tls === null ? 'connection' : 'secureConnection', (socket: Socket) => front.handleSocket(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(opts.host, opts.port, 'RESP', error.code)));
    server.listen({ host: opts.host, port: opts.port, backlog: LISTEN_BACKLOG }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  front.facts.respPort = port;
  let closed: Promise<void> | null = null;
  const stopAccepting = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    return closed;
  };
  return {
    port,
    get connectionCount() {
      return front.connections.size;
    },
    stopAccepting: () => { void stopAccepting(); },
    close: () => {
      const listenerClosed = stopAccepting();
      front.blocking.close();
      for (const connection of [...front.connections]) connection.shutdown();
      // The listener closes once every socket has; a TLS handshake in progress has no connection to end it.
      const stragglers = setTimeout(() => { for (const socket of sockets) socket.destroy(); }, CLOSE_LINGER_MS);
      stragglers.unref();
      return listenerClosed.finally(() => clearTimeout(stragglers));
    },
  };
}
