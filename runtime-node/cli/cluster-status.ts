// `piccolo cluster status [--json]`: every group of a cluster with its
// members, leader, term, commit and applied index, and how far each
// follower's applied index trails the leader's commit. Asks one node for the
// map (GET /v1/cluster), then every node it names for its own replicas'
// numbers (a node only knows its hosted replicas first hand). A node that
// does not answer within STATUS_NODE_TIMEOUT_MS shows as unreachable; the
// others still print.

import { parseArgs } from 'node:util';
import { EXIT_OK, EXIT_UNREACHABLE } from './exit-codes.js';
import { passwordOf } from './client-commands.js';
import { UsageError } from './usage-error.js';

/** Long enough for a loaded node on a LAN, short enough that one dead node does not stall the report. */
export const STATUS_NODE_TIMEOUT_MS = 2_000;
export const STATUS_DEFAULT_URL = 'http://127.0.0.1:7700';

const HELP = `Usage: piccolo cluster status [--url URL] [--json] [--password-file FILE]

Show every group of the cluster: members, leader, term, commit and applied
index, and each follower's lag (the leader's commit index minus the
follower's applied index). Reads GET /v1/cluster from the node at URL
(default ${STATUS_DEFAULT_URL}) and from every node it names.

Exit codes: 0 shown (even with some node unreachable), 2 usage error,
3 the node at URL could not be reached.
`;

interface GroupView {
  group: number; slots: [number, number]; replicas: number[]; leader: number; role?: string; term?: number; commit?: number; applied?: number;
  /** The group's Raft configuration as this node's replica applied it (hosted groups only). */
  voters?: number[]; learners?: number[];
}
interface ClusterView { nodeId: number; nodes: { id: number; http?: string; linkUp: boolean }[]; groups: GroupView[] }

export interface ReplicaStatus { node: number; role: string; term: number; commit: number; applied: number; lag: number | null }
export interface GroupStatusReport {
  group: number;
  slots: [number, number];
  members: number[];
  leader: number;
  term: number | null;
  commit: number | null;
  applied: number | null;
  /** Replicas still catching up before they may vote (a replica moving in: docs/cluster.md); empty otherwise. */
  learners: number[];
  /** One per member (learners included); null where its node did not answer. */
  replicas: (ReplicaStatus | { node: number; unreachable: true })[];
}

export async function runClusterStatus(args: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: { url: { type: 'string' }, json: { type: 'boolean' }, 'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out(HELP);
    return EXIT_OK;
  }
  const base = httpBase(values.url ?? STATUS_DEFAULT_URL);
  const password = passwordOf(values);
  let first: ClusterView;
  try {
    first = await fetchView(base, password);
  } catch (error) {
    process.stderr.write(`piccolo cluster status: ${base}: ${(error as Error).message}\n`);
    return EXIT_UNREACHABLE;
  }
  const views = new Map<number, ClusterView>([[first.nodeId, first]]);
  await Promise.all(first.nodes.filter((n) => n.id !== first.nodeId && n.http).map(async (n) => {
    try {
      views.set(n.id, await fetchView(`http://${n.http}`, password));
    } catch {
      // shown as unreachable
    }
  }));
  const report = statusReport(first, views);
  out(values.json ? `${JSON.stringify({ groups: report }, null, 2)}\n` : formatReport(report));
  return EXIT_OK;
}

/** Each group as its replicas report it: the leader's numbers, and each follower's lag behind the leader's commit. */
export function statusReport(first: ClusterView, views: ReadonlyMap<number, ClusterView>): GroupStatusReport[] {
  return first.groups.map((g) => {
    const own = (node: number): GroupView | undefined => views.get(node)?.groups.find((x) => x.group === g.group);
    // The leader as the replicas themselves say (a replica that is leader knows it), else the asked node's view.
    const leader = g.replicas.find((node) => own(node)?.role === 'leader') ?? g.leader;
    const leaderView = own(leader);
    const commit = leaderView?.commit ?? null;
    // The leader's own configuration is the truth while replicas move; the asked node's routing view otherwise.
    const members = leaderView?.voters ?? g.replicas;
    const learners = leaderView?.learners ?? [];
    return {
      group: g.group, slots: g.slots, members, leader,
      term: leaderView?.term ?? null, commit, applied: leaderView?.applied ?? null, learners,
      replicas: [...members, ...learners].map((node) => {
        const v = own(node);
        if (v?.term === undefined) return { node, unreachable: true as const };
        const role = learners.includes(node) ? 'learner' : v.role ?? 'follower';
        return { node, role, term: v.term, commit: v.commit ?? 0, applied: v.applied ?? 0, lag: commit === null ? null : Math.max(0, commit - (v.applied ?? 0)) };
      }),
    };
  });
}

export function formatReport(report: readonly GroupStatusReport[]): string {
  const lines = ['GROUP  SLOTS          LEADER  TERM  COMMIT  APPLIED  REPLICAS (node role applied lag)'];
  for (const g of report) {
    const replicas = g.replicas.map((r) => ('unreachable' in r ? `${r.node}:unreachable` : `${r.node}:${r.role}:${r.applied}:${r.lag ?? '?'}`)).join('  ');
    lines.push([
      String(g.group).padEnd(6), `${g.slots[0]}-${g.slots[1]}`.padEnd(14), String(g.leader || '-').padEnd(7),
      String(g.term ?? '?').padEnd(5), String(g.commit ?? '?').padEnd(7), String(g.applied ?? '?').padEnd(8), replicas,
    ].join(' '));
  }
  const moving = report.filter((g) => g.learners.length > 0);
  if (moving.length > 0) lines.push(`moves in progress: ${moving.map((g) => `group ${g.group} (learner on node ${g.learners.join(', ')})`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}

export function httpBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`);
  }
  if (parsed.protocol === 'ws:') parsed.protocol = 'http:';
  if (parsed.protocol === 'wss:') parsed.protocol = 'https:';
  return `${parsed.protocol}//${parsed.host}`;
}

async function fetchView(base: string, password: string | undefined): Promise<ClusterView> {
  const response = await fetch(`${base}/v1/cluster`, {
    headers: password === undefined ? {} : { authorization: `Bearer ${password}` },
    signal: AbortSignal.timeout(STATUS_NODE_TIMEOUT_MS),
  });
  const body = await response.json() as ClusterView & { error?: { message: string } };
  if (!response.ok) throw new Error(`${response.status}: ${body.error?.message ?? 'no cluster map'}`);
  return body;
}
