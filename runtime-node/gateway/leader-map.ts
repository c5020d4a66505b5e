// The gateway's view of a cluster: which node (its HTTP/WebSocket endpoint,
// `host:port`) leads each group, merged from the GET /v1/cluster reports of
// every node it could read. Pure: no I/O here (map-refresher.ts reads the
// reports and builds a new LeaderMap from them).
//
// Whom to believe when nodes disagree (one was cut off, an election just
// happened): a node that says it leads a group itself, with the highest
// term, wins; failing that, the leader most nodes name. A node's word about
// another node's group is a guess; its own role is known.

import { SLOT_COUNT } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';

/** A node's GET /v1/cluster body, read from `source` (`host:port`). */
export interface ClusterReport {
  source: string;
  body: unknown;
}

interface GroupJson { group: number; slots: [number, number]; replicas?: number[]; leaderHttp?: string | null; role?: string; term?: number }
interface ReportJson { nodeId: number; nodes: { id: number; http?: string }[]; groups: GroupJson[] }

/** A report that is not one, or reports of different clusters. */
export class LeaderMapError extends Error {
  override name = 'LeaderMapError';
}

export class LeaderMap {
  private constructor(
    /** slot -> group, with the node's own formula (checked against each report's slot ranges). */
    readonly slotMap: SlotMap,
    private readonly leaders: readonly (string | null)[],
    /** Every node endpoint the reports name (and the sources read). */
    readonly endpoints: readonly string[],
    /** Per group, the endpoints of the nodes holding a replica of it (as the reports place it; a merging watch needs them). */
    private readonly replicas: readonly (readonly string[])[] = [],
  ) {}

  /** The endpoints of the nodes holding a replica of `group` (empty when no report said). */
  replicasOf(group: number): readonly string[] {
    return this.replicas[group] ?? [];
  }

  get groupCount(): number {
    return this.slotMap.shardCount;
  }

  /** The endpoint of the node leading `group`, or null while none is known. */
  leaderOf(group: number): string | null {
    return this.leaders[group] ?? null;
  }

  /** Merges the reports (at least one). Throws LeaderMapError when they are not cluster maps or describe different clusters. */
  static merge(reports: readonly ClusterReport[]): LeaderMap {
    if (reports.length === 0) throw new LeaderMapError('no node answered GET /v1/cluster');
    const parsed = reports.map((r) => ({ source: r.source, json: parseReport(r) }));
    const groupCount = parsed[0]!.json.groups.length;
    const slotMap = new SlotMap(groupCount, 1);
    const ranges = slotRanges(slotMap);
    const endpoints = new Set<string>();
    for (const { source, json } of parsed) {
      if (json.groups.length !== groupCount) {
        throw new LeaderMapError(`${source} reports ${json.groups.length} groups, ${parsed[0]!.source} ${groupCount}: are --nodes one cluster?`);
      }
      json.groups.forEach((g, i) => {
        const [first, last] = ranges[i]!;
        if (g.group !== i || g.slots[0] !== first || g.slots[1] !== last) {
          throw new LeaderMapError(`${source}: group ${g.group} has slots ${JSON.stringify(g.slots)}, expected group ${i} with [${first}, ${last}]`);
        }
      });
      endpoints.add(source);
      for (const node of json.nodes) if (typeof node.http === 'string') endpoints.add(node.http);
    }
    const leaders = Array.from({ length: groupCount }, (_, group) => leaderOfGroup(parsed, group));
    return new LeaderMap(slotMap, leaders, [...endpoints], Array.from({ length: groupCount }, (_, group) => replicasOfGroup(parsed, group)));
  }
}

/** Every group's [first, last] slot, in one pass over the slots. */
function slotRanges(slotMap: SlotMap): [number, number][] {
  const ranges: [number, number][] = Array.from({ length: slotMap.shardCount }, () => [-1, -1]);
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const range = ranges[slotMap.shardOf(slot)]!;
    if (range[0] < 0) range[0] = slot;
    range[1] = slot;
  }
  return ranges;
}

function leaderOfGroup(reports: readonly { source: string; json: ReportJson }[], group: number): string | null {
  let claim: { endpoint: string; term: number } | null = null;
  const named = new Map<string, number>();
  for (const { source, json } of reports) {
    const g = json.groups[group]!;
    if (g.role === 'leader') {
      const endpoint = json.nodes.find((n) => n.id === json.nodeId)?.http ?? source;
      const term = typeof g.term === 'number' ? g.term : 0;
      if (claim === null || term > claim.term) claim = { endpoint, term };
    }
    if (typeof g.leaderHttp === 'string') named.set(g.leaderHttp, (named.get(g.leaderHttp) ?? 0) + 1);
  }
  if (claim !== null) return claim.endpoint;
  let best: string | null = null;
  for (const [endpoint, votes] of named) if (best === null || votes > named.get(best)!) best = endpoint;
  return best;
}

/** The endpoints of the group's replicas, from the first report that places it (placement is the same in every report). */
function replicasOfGroup(reports: readonly { source: string; json: ReportJson }[], group: number): string[] {
  for (const { json } of reports) {
    const ids = json.groups[group]!.replicas;
    if (!Array.isArray(ids)) continue;
    const http = new Map(json.nodes.map((n) => [n.id, n.http]));
    return ids.map((id) => http.get(id)).filter((e): e is string => typeof e === 'string');
  }
  return [];
}

function parseReport(report: ClusterReport): ReportJson {
  const body = report.body as Partial<ReportJson> | null;
  if (body === null || typeof body !== 'object' || !Array.isArray(body.groups) || !Array.isArray(body.nodes) || typeof body.nodeId !== 'number') {
    throw new LeaderMapError(`${report.source} answered GET /v1/cluster without nodeId, nodes and groups: is it a cluster node?`);
  }
  if (body.groups.length === 0) throw new LeaderMapError(`${report.source} reports no groups`);
  for (const g of body.groups) {
    if (typeof g !== 'object' || g === null || !Array.isArray(g.slots) || g.slots.length !== 2) {
      throw new LeaderMapError(`${report.source} reports a group without a slot range`);
    }
  }
  return body as ReportJson;
}
