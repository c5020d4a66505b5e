// A connection to a whole cluster for PiccoloClient: it learns the slot ->
// leader map from a node (GET /v1/cluster, client/cluster-map.ts), sends each
// request over a WebSocket to its key's leader (one connection per node,
// opened on first use), and refreshes the map when a node answers
// NOT_LEADER. Keyless requests go to the first node; the node covers the
// cluster (it forwards to each group's leader).
//
// Retries only what is safe, up to CLUSTER_ATTEMPTS_MAX attempts:
//   - NOT_LEADER: the node did not apply it (it does not lead the group, or
//     no leader was known): refresh the map, wait a little, send again;
//   - a connection that could not be opened: nothing was sent;
//   - a read whose connection dropped or timed out: reads change nothing.
// A write whose connection dropped or timed out after it was sent may or may
// not have been applied: it rejects with INDETERMINATE (read before
// retrying), never retried silently. So does the node's own INDETERMINATE.

import type { OkReply, Request } from '../core/protocol/ops.js';
import { isWriteRequest } from '../core/shard/command.js';
import { ClusterMap } from './cluster-map.js';
import { Connection } from './connection.js';
import { ConnectionClosedError, PiccoloError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { openSocket, type WebSocketConstructor } from './web-socket.js';
import { wireFormat } from './wire-format.js';

/**
 * Attempts per call. A leader change takes 0.5-1 s at the default Raft tick;
 * with CLUSTER_RETRY_WAIT_MS growing per attempt (100, 200, ... ms) six
 * attempts wait 1.5 s in all, enough for one election, short enough that a
 * cluster without a quorum is reported quickly.
 */
export const CLUSTER_ATTEMPTS_MAX = 6;
export const CLUSTER_RETRY_WAIT_MS = 100;
/** A map fetched this recently is not fetched again (many calls redirected at once share one refresh). */
export const CLUSTER_MAP_FRESH_MS = 50;

export const CLUSTER_MAP_PATH = '/v1/cluster';

export class ClusterConnection {
  private map: ClusterMap | null = null;
  private mapFetchedAtMs = -Infinity;
  private refreshing: Promise<void> | null = null;
  private readonly connections = new Map<string, Promise<Connection>>();
  private closed = false;
  private calls = 0;

  private constructor(
    /** The WebSocket URL connect() was given: keyless requests go there, and the map comes from it first. */
    readonly url: string,
    private readonly options: ResolvedOptions,
    private readonly WebSocket: WebSocketConstructor | undefined,
  ) {}

  /** Opens the first node's connection and reads the map from it. */
  static async open(url: string, options: ResolvedOptions, WebSocket: WebSocketConstructor | undefined): Promise<ClusterConnection> {
    const cluster = new ClusterConnection(url, options, WebSocket);
    await cluster.connectionTo(url);
    try {
      await cluster.refresh(true);
    } catch (error) {
      // A lone node (no /v1/cluster) is a cluster of one: every request goes to it.
      if (!(error instanceof PiccoloError && error.code === 'NOT_FOUND')) {
        await cluster.close();
        throw error;
      }
    }
    return cluster;
  }

  /** Calls not yet settled (on any node's connection, or waiting to retry). */
  get pendingCount(): number {
    return this.calls;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** The node endpoints (`host:port`) the map names. */
  get endpoints(): readonly string[] {
    return this.map?.endpoints ?? [];
  }

  async call(req: Request): Promise<OkReply> {
    this.calls++;
    try {
      return await this.attempts(req);
    } finally {
      this.calls--;
    }
  }

  private async attempts(req: Request): Promise<OkReply> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new ConnectionClosedError(`the client is closed; ${req.op} was not sent`);
      const endpoint = this.map?.endpointFor(req) ?? null;
      const url = endpoint === null ? this.url : this.wsUrlOf(endpoint);
      let connection: Connection;
      try {
        connection = await this.connectionTo(url);
        // Closed since it was opened (the node went away): nothing is sent on it; dial again.
        if (!connection.isOpen) {
          this.forget(url, connection);
          connection = await this.connectionTo(url);
        }
      } catch (error) {
        // Nothing was sent: safe to try again, after asking another node who leads.
        if (attempt >= CLUSTER_ATTEMPTS_MAX) throw error;
        await this.backOff(attempt);
        continue;
      }
      try {
        return await connection.call(req);
      } catch (error) {
        if (!(error instanceof PiccoloError) || this.closed) throw error;
        const lost = error.code === 'CONNECTION_CLOSED' || error.code === 'TIMEOUT';
        if (lost) this.forget(url, connection);
        if (lost && isWriteRequest(req)) {
          throw new PiccoloError('INDETERMINATE',
            `${req.op} was sent to ${url} and ${error.message}: it may or may not have been applied; read before retrying`, { cause: error });
        }
        const retryable = error.code === 'NOT_LEADER' || lost;
        if (!retryable || attempt >= CLUSTER_ATTEMPTS_MAX) throw error;
        await this.backOff(attempt);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const opened = await Promise.allSettled(this.connections.values());
    this.connections.clear();
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
  }

  private async backOff(attempt: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, CLUSTER_RETRY_WAIT_MS * attempt));
    await this.refresh(false).catch(() => {}); // a node that cannot answer now: keep the map, try again next time
  }

  /** The open connection to `url`, opened on first use; a failed or closed one is replaced. */
  private connectionTo(url: string): Promise<Connection> {
    const known = this.connections.get(url);
    if (known !== undefined) return known;
    const opening = openSocket(this.WebSocket, url, this.options)
      .then((socket) => new Connection(socket, wireFormat(this.options.format), this.options, url));
    this.connections.set(url, opening);
    opening.then(
      (connection) => { if (this.closed) void connection.close(); },
      () => { if (this.connections.get(url) === opening) this.connections.delete(url); },
    );
    return opening;
  }

  /** A closed connection is dropped, so the next call to that node dials again. */
  private forget(url: string, connection: Connection): void {
    if (!connection.isOpen) this.connections.delete(url);
  }

  /** Reads the map again from the first node, else from any node it named; `force` skips the freshness check. */
  private refresh(force: boolean): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (!force && Date.now() - this.mapFetchedAtMs < CLUSTER_MAP_FRESH_MS) return Promise.resolve();
    this.refreshing = (async () => {
      const sources = [this.httpUrlOf(this.url), ...this.endpoints.map((e) => this.httpUrlOf(this.wsUrlOf(e)))];
      let lastError: unknown = null;
      for (const source of new Set(sources)) {
        try {
          this.map = await this.fetchMap(source);
          this.mapFetchedAtMs = Date.now();
          return;
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    })().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  private async fetchMap(httpUrl: string): Promise<ClusterMap> {
    const headers: Record<string, string> = this.options.password === null ? {} : { authorization: `Bearer ${this.options.password}` };
    const signal = Number.isFinite(this.options.connectTimeoutMs) ? AbortSignal.timeout(this.options.connectTimeoutMs) : undefined;
    const response = await fetch(httpUrl, { headers, ...(signal ? { signal } : {}) });
    const body: unknown = await response.json();
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      throw new PiccoloError(response.status === 404 ? 'NOT_FOUND' : 'PROTOCOL_ERROR',
        `${httpUrl} answered ${response.status}${error?.message ? `: ${error.message}` : ''}`);
    }
    return ClusterMap.parse(body);
  }

  /** A node's WebSocket URL from its `host:port`, with the scheme the first URL used. */
  private wsUrlOf(endpoint: string): string {
    const scheme = new URL(this.url).protocol; // ws: or wss:
    return `${scheme}//${endpoint}/v1/ws`;
  }

  private httpUrlOf(wsUrl: string): string {
    const url = new URL(wsUrl);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    url.pathname = CLUSTER_MAP_PATH;
    url.search = '';
    return url.toString();
  }
}
