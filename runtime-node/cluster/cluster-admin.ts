// The operator's commands on a running cluster, as the HTTP admin routes
// (`POST /v1/cluster/<action>`, http-front.ts) hand them to this node:
//
// transfer-leader {group, to}: group G's leadership moves to node `to`, and
//   stays there. Any node takes the command: it records `to` as the group's
//   preferred leader (leader-preferences.ts), tells its own workers, relays
//   the same command (marked `relayed`, so it goes no further) to every
//   other node it knows, and then waits until node `to` reports that it
//   leads. The node whose replica leads the group starts Raft's transfer as
//   soon as it hears (cluster-worker.ts): the target is caught up first if it
//   lags, then told to campaign at once (TimeoutNow); the leader refuses new
//   proposals during the transfer, which clients see as NOT_LEADER /
//   TRYAGAIN (certainly not applied: safe to retry), and a write already in
//   the log commits under the new leader or is reported as the usual
//   outcomes (docs/cluster.md). Every node changes its preference, so the
//   new leader does not hand leadership back.
//
// Errors are the protocol's codes: BAD_REQUEST for a malformed command or a
// node that holds no replica of the group, NOT_LEADER when leadership had
// not reached the target within TRANSFER_WAIT_MS (the preference stays: the
// periodic check moves leadership once the target is reachable and caught
// up).

import type { ErrorName } from '../../core/errors.js';

/**
 * How long transfer-leader waits for the target to lead: one election
 * timeout for Raft's transfer (it gives up after that), then the periodic
 * preferred-leader check (PREFERRED_LEADER_CHECK_TICKS, 2 s) tries once
 * more, plus round trips.
 */
export const TRANSFER_WAIT_MS = 4_000;
/** A node that does not take a relayed command within this is reported as unreached (as `cluster status` waits). */
export const RELAY_TIMEOUT_MS = 2_000;
/** How often the waiting node asks whether the target leads yet. */
const TRANSFER_POLL_MS = 50;

export type AdminResult = { ok: true; value: Record<string, unknown> } | { ok: false; code: ErrorName; message: string };

export interface ClusterAdminDeps {
  selfId: number;
  groups: number;
  /** Node ids of a group's replicas. */
  replicasOf(group: number): readonly number[];
  /** Record `node` as `group`'s preferred leader here (stored, and told to the workers). */
  prefer(group: number, node: number): void;
  /** Whether this node's replica of `group` leads it (false if it hosts none). */
  leadsHere(group: number): boolean;
  /** Every other node's HTTP endpoint (host:port) this node knows. */
  otherNodes(): { id: number; http: string | null }[];
}

const refuse = (code: ErrorName, message: string): AdminResult => ({ ok: false, code, message });

export class ClusterAdmin {
  constructor(private readonly deps: ClusterAdminDeps) {}

  /** `authorization`: the request's header, passed on to the nodes it relays to (they share the password). */
  async handle(action: string, body: unknown, authorization: string): Promise<AdminResult> {
    switch (action) {
      case 'transfer-leader': return this.transferLeader(body, authorization);
      default: return refuse('NOT_FOUND', `no cluster command '${action.slice(0, 64)}' (known: transfer-leader)`);
    }
  }

  private async transferLeader(body: unknown, authorization: string): Promise<AdminResult> {
    const { deps } = this;
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const { group, to } = fields;
    if (!Number.isInteger(group) || (group as number) < 0 || (group as number) >= deps.groups) {
      return refuse('BAD_REQUEST', `group must be an integer in 0..${deps.groups - 1}`);
    }
    const g = group as number;
    const replicas = deps.replicasOf(g);
    if (!Number.isInteger(to) || !replicas.includes(to as number)) {
      return refuse('BAD_REQUEST', `to must name a node holding a replica of group ${g} (its replicas: ${replicas.join(', ')})`);
    }
    const target = to as number;
    deps.prefer(g, target);
    if (fields.relayed === true) return { ok: true, value: { group: g, preferred: target } };
    const unreached: number[] = [];
    await Promise.all(deps.otherNodes().map(async (node) => {
      const ok = node.http !== null && await postJson(node.http, 'transfer-leader', { group: g, to: target, relayed: true }, authorization);
      if (!ok) unreached.push(node.id);
    }));
    unreached.sort((a, b) => a - b);
    const end = Date.now() + TRANSFER_WAIT_MS;
    const targetHttp = deps.otherNodes().find((n) => n.id === target)?.http ?? null;
    for (;;) {
      const leads = target === deps.selfId ? deps.leadsHere(g) : targetHttp !== null && await reportsLeader(targetHttp, g, authorization);
      if (leads) return { ok: true, value: { group: g, leader: target, preferred: target, unreached } };
      if (Date.now() >= end) break;
      await new Promise((r) => setTimeout(r, TRANSFER_POLL_MS));
    }
    return refuse('NOT_LEADER', `node ${target} did not lead group ${g} within ${TRANSFER_WAIT_MS} ms`
      + `${unreached.length > 0 ? ` (nodes not reached: ${unreached.join(', ')})` : ''}; it stays the preferred leader, `
      + 'so leadership moves once it is reachable and caught up');
  }
}

async function postJson(http: string, action: string, body: unknown, authorization: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${http}/v1/cluster/${action}`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Whether the node at `http` says its replica of `group` leads. */
async function reportsLeader(http: string, group: number, authorization: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${http}/v1/cluster`, {
      headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
    });
    const view = await response.json() as { groups?: { group: number; role?: string }[] };
    return view.groups?.find((x) => x.group === group)?.role === 'leader';
  } catch {
    return false;
  }
}
