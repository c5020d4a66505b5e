// Keeps the gateway's slot -> leader map current: reads GET /v1/cluster from
// every node it knows (the --nodes list and every node a map named) at once,
// merges the answers (leader-map.ts), and does so every
// MAP_REFRESH_INTERVAL_MS and whenever routing asks (a NOT_LEADER answer, a
// lost node), at most once per MAP_FRESH_MS. A read that no node answers
// keeps the old map: routing goes on with what it knew.

import { LeaderMap, LeaderMapError, type ClusterReport } from './leader-map.js';
import { MAP_FETCH_TIMEOUT_MS, MAP_FRESH_MS, MAP_REFRESH_INTERVAL_MS } from './gateway-limits.js';

export const CLUSTER_MAP_PATH = '/v1/cluster';

/** Every node refused the gateway's password: waiting will not help (a wrong --node-password). */
export class NodePasswordRefusedError extends LeaderMapError {
  override name = 'NodePasswordRefusedError';
}

/** A node's refusal of the gateway's password (401). */
class RefusedPassword extends Error {}

export class MapRefresher {
  private map: LeaderMap | null = null;
  private fetchedAtMs = -Infinity;
  private reading: Promise<LeaderMap> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    /** The --nodes endpoints (`host:port`), always asked. */
    private readonly seeds: readonly string[],
    /** The nodes' password (Authorization: Bearer), or null. */
    private readonly password: string | null,
    /** The nodes serve TLS: read https://. */
    private readonly tls: boolean,
    /** Called with every new map (so links to newly named nodes are opened). */
    private readonly onMap: (map: LeaderMap) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** The last map read; null until the first read succeeds. */
  get current(): LeaderMap | null {
    return this.map;
  }

  /** Reads the map periodically from now on. */
  start(): void {
    this.timer ??= setInterval(() => { this.read().catch((error: unknown) => this.log(`gateway: map refresh failed: ${(error as Error).message}`)); },
      MAP_REFRESH_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Asks for a read soon (routing saw a stale map); a fresh map is not read again. */
  request(): void {
    if (this.reading !== null || performance.now() - this.fetchedAtMs < MAP_FRESH_MS) return;
    this.read().catch(() => {}); // no node answered: the old map stays, the next request or tick asks again
  }

  /** Reads every known node's report now (one read at a time; callers share it). */
  read(): Promise<LeaderMap> {
    this.reading ??= this.readAll().finally(() => { this.reading = null; });
    return this.reading;
  }

  private async readAll(): Promise<LeaderMap> {
    const sources = [...new Set([...this.seeds, ...(this.map?.endpoints ?? [])])];
    const outcomes = await Promise.allSettled(sources.map((source) => this.fetchReport(source)));
    const reports: ClusterReport[] = [];
    const failures: string[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') reports.push(o.value);
      else failures.push(`${sources[i]}: ${(o.reason as Error).message}`);
    });
    if (reports.length === 0 && outcomes.every((o) => o.status === 'rejected' && o.reason instanceof RefusedPassword)) {
      throw new NodePasswordRefusedError(`every node refused the gateway's password (${failures.join('; ')}): check --node-password`);
    }
    if (reports.length === 0) throw new LeaderMapError(`no node answered ${CLUSTER_MAP_PATH} (${failures.join('; ')})`);
    const map = LeaderMap.merge(reports);
    if (this.map !== null && map.groupCount !== this.map.groupCount) {
      throw new LeaderMapError(`the cluster now reports ${map.groupCount} groups, not ${this.map.groupCount}; restart the gateway`);
    }
    this.map = map;
    this.fetchedAtMs = performance.now();
    this.onMap(map);
    return map;
  }

  private async fetchReport(source: string): Promise<ClusterReport> {
    const headers: Record<string, string> = this.password === null ? {} : { authorization: `Bearer ${this.password}` };
    const response = await fetch(`${this.tls ? 'https' : 'http'}://${source}${CLUSTER_MAP_PATH}`, { headers, signal: AbortSignal.timeout(MAP_FETCH_TIMEOUT_MS) });
    const body: unknown = await response.json();
    if (!response.ok) {
      const message = (body as { error?: { message?: string } } | null)?.error?.message ?? '';
      throw new (response.status === 401 ? RefusedPassword : Error)(`answered ${response.status}${message ? `: ${message}` : ''}`);
    }
    return { source, body };
  }
}
