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
//   TRYAGAIN (certainly not applied: safe to retry). Every node changes its
//   preference, so the new leader does not hand leadership back.
//
// add-node {id, peer}: every node learns the new node's peer address (the
//   membership record, announced to every node and kept in each data
//   directory), then replicas move to it (replica-mover.ts) until it holds
//   its share. The node itself is started with --join (cluster-join.ts).
//
// remove-node {id}: moves every replica off node `id` (replica-mover.ts),
//   then records the node as removed in the membership record every node
//   keeps.
//
// Both answer when done, or after MOVE_WAIT_MS with what is left (run them
// again: they go on from where the groups are).
//
// The steps the mover sends to other nodes: host-group {group} (start a
// replica here), conf-change {group, kind, node} (if this node's replica
// leads: propose it), membership {record} (keep the newer record).
//
// Errors are the protocol's codes: BAD_REQUEST for a malformed command or a
// node that holds no replica of the group, NOT_LEADER when leadership had
// not reached the target within TRANSFER_WAIT_MS (the preference stays: the
// periodic check moves leadership once the target is reachable and caught
// up), or a conf-change sent to a node whose replica does not lead.

import type { ErrorName } from '../../core/errors.js';
import { fetchNodeView, postAdmin } from './admin-http.js';
import type { ClusterMember } from './cluster-topology.js';
import { parseMembership, type MembershipRecord } from './membership-record.js';
import { moveReplicas, type MoveReport } from './replica-mover.js';

/**
 * How long transfer-leader waits for the target to lead: one election
 * timeout for Raft's transfer (it gives up after that), then the periodic
 * preferred-leader check (PREFERRED_LEADER_CHECK_TICKS, 2 s) tries once
 * more, plus round trips.
 */
export const TRANSFER_WAIT_MS = 4_000;
/**
 * How long remove-node works before it answers with what is left: under an
 * HTTP client's patience; the CLI asks again until the move is done.
 */
export const MOVE_WAIT_MS = 20_000;
/** How often the waiting node asks whether the target leads yet. */
const TRANSFER_POLL_MS = 50;

export type AdminResult = { ok: true; value: Record<string, unknown> } | { ok: false; code: ErrorName; message: string };

export type ConfChangeKind = 'addLearner' | 'addVoter' | 'remove';

export interface ClusterAdminDeps {
  selfId: number;
  groups: number;
  /** Replicas per group the cluster keeps (--replicas). */
  replicas: number;
  /** Raft state on disk: membership changes need it (a replica that forgot its log must not be counted on). */
  durable: boolean;
  /** Node ids of a group's replicas (the routing view). */
  replicasOf(group: number): readonly number[];
  /** Every node of the cluster (removed ones included) with its HTTP endpoint as far as known, this one included. */
  nodes(): { id: number; http: string | null }[];
  /** The node ids the first placement was computed from. */
  genesis(): readonly number[];
  /** Every node with its peer address. */
  members(): readonly ClusterMember[];
  /** Record `node` as `group`'s preferred leader here (stored, and told to the workers). */
  prefer(group: number, node: number): void;
  /** Whether this node's replica of `group` leads it (false if it hosts none). */
  leadsHere(group: number): boolean;
  /** Start hosting a replica of `group` (nothing if it does already). */
  hostGroup(group: number): void;
  /** Ask this node's replica of `group` to propose a membership change (it does if it leads). */
  confChange(group: number, kind: ConfChangeKind, node: number): void;
  membership(): MembershipRecord;
  /** Keep `record` if it is newer than this node's (stored first). */
  adoptMembership(record: MembershipRecord): void;
  log(line: string): void;
}

const refuse = (code: ErrorName, message: string): AdminResult => ({ ok: false, code, message });
const CONF_KINDS: readonly ConfChangeKind[] = ['addLearner', 'addVoter', 'remove'];

export class ClusterAdmin {
  /** The move under way on this node, if any: a second remove-node waits for it rather than racing it. */
  private moving: Promise<MoveReport> | null = null;

  constructor(private readonly deps: ClusterAdminDeps) {}

  /** `authorization`: the request's header, passed on to the nodes it relays to (they share the password). */
  async handle(action: string, body: unknown, authorization: string): Promise<AdminResult> {
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    switch (action) {
      case 'transfer-leader': return this.transferLeader(fields, authorization);
      case 'remove-node': return this.removeNode(fields, authorization);
      case 'add-node': return this.addNode(fields, authorization);
      case 'host-group': return this.hostGroup(fields);
      case 'conf-change': return this.confChange(fields);
      case 'membership': return this.membership(fields);
      default: return refuse('NOT_FOUND', `no cluster command '${action.slice(0, 64)}' (known: transfer-leader, add-node, remove-node)`);
    }
  }

  private groupOf(fields: Record<string, unknown>): number | null {
    const { group } = fields;
    return Number.isInteger(group) && (group as number) >= 0 && (group as number) < this.deps.groups ? group as number : null;
  }

  private badGroup(): AdminResult {
    return refuse('BAD_REQUEST', `group must be an integer in 0..${this.deps.groups - 1}`);
  }

  private async transferLeader(fields: Record<string, unknown>, authorization: string): Promise<AdminResult> {
    const { deps } = this;
    const g = this.groupOf(fields);
    if (g === null) return this.badGroup();
    const replicas = deps.replicasOf(g);
    if (!Number.isInteger(fields.to) || !replicas.includes(fields.to as number)) {
      return refuse('BAD_REQUEST', `to must name a node holding a replica of group ${g} (its replicas: ${replicas.join(', ')})`);
    }
    const target = fields.to as number;
    deps.prefer(g, target);
    if (fields.relayed === true) return { ok: true, value: { group: g, preferred: target } };
    const unreached: number[] = [];
    const others = deps.nodes().filter((n) => n.id !== deps.selfId);
    await Promise.all(others.map(async (node) => {
      const ok = node.http !== null && (await postAdmin(node.http, 'transfer-leader', { group: g, to: target, relayed: true }, authorization)).ok;
      if (!ok) unreached.push(node.id);
    }));
    unreached.sort((a, b) => a - b);
    const end = Date.now() + TRANSFER_WAIT_MS;
    const targetHttp = others.find((n) => n.id === target)?.http ?? null;
    for (;;) {
      if (await this.targetLeads(g, target, targetHttp, authorization)) return { ok: true, value: { group: g, leader: target, preferred: target, unreached } };
      if (Date.now() >= end) break;
      await new Promise((r) => setTimeout(r, TRANSFER_POLL_MS));
    }
    return refuse('NOT_LEADER', `node ${target} did not lead group ${g} within ${TRANSFER_WAIT_MS} ms`
      + `${unreached.length > 0 ? ` (nodes not reached: ${unreached.join(', ')})` : ''}; it stays the preferred leader, `
      + 'so leadership moves once it is reachable and caught up');
  }

  private async targetLeads(group: number, target: number, targetHttp: string | null, authorization: string): Promise<boolean> {
    if (target === this.deps.selfId) return this.deps.leadsHere(group);
    const view = targetHttp === null ? null : await fetchNodeView(targetHttp, authorization);
    return view?.groups.find((x) => x.group === group)?.role === 'leader';
  }

  private async removeNode(fields: Record<string, unknown>, authorization: string): Promise<AdminResult> {
    const { deps } = this;
    const { id } = fields;
    const membership = deps.membership();
    const known = deps.nodes().map((n) => n.id);
    if (!Number.isInteger(id) || !known.includes(id as number)) return refuse('BAD_REQUEST', `id must name a node of the cluster (${known.join(', ')})`);
    if (!deps.durable) return refuse('BAD_REQUEST', 'membership changes need every node to keep its Raft state: run the cluster with --data-dir, not --in-memory');
    const target = known.filter((n) => n !== id && !membership.removed.includes(n));
    if (target.length < deps.replicas) {
      return refuse('BAD_REQUEST', `removing node ${id as number} would leave ${target.length} nodes for ${deps.replicas} replicas per group`);
    }
    const report = await this.move(target, authorization);
    if (report.done && !deps.membership().removed.includes(id as number)) {
      const now = deps.membership();
      await this.announce({ ...now, version: now.version + 1, removed: [...now.removed, id as number].sort((a, b) => a - b) }, authorization);
      deps.log(`piccolo: node ${id as number} holds no replica any more and is removed from the cluster; it can be stopped`);
    }
    return { ok: true, value: { id, ...report } };
  }

  private async addNode(fields: Record<string, unknown>, authorization: string): Promise<AdminResult> {
    const { deps } = this;
    const { id, peer } = fields;
    const match = typeof peer === 'string' ? /^(.+):(\d{1,5})$/.exec(peer) : null;
    if (!Number.isInteger(id) || (id as number) < 1) return refuse('BAD_REQUEST', 'id must be a node id (a positive integer)');
    if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65535) return refuse('BAD_REQUEST', 'peer must be the new node\'s peer address, HOST:PORT');
    if (!deps.durable) return refuse('BAD_REQUEST', 'membership changes need every node to keep its Raft state: run the cluster with --data-dir, not --in-memory');
    const member: ClusterMember = { id: id as number, host: match[1]!.replace(/^\[(.*)\]$/, '$1'), peerPort: Number(match[2]) };
    const membership = deps.membership();
    if (membership.removed.includes(member.id)) return refuse('BAD_REQUEST', `node ${member.id} was removed; give the new node another id`);
    const known = deps.members().find((m) => m.id === member.id);
    if (known !== undefined && (known.host !== member.host || known.peerPort !== member.peerPort)) {
      return refuse('BAD_REQUEST', `node ${member.id} is in the cluster already, at ${known.host}:${known.peerPort}`);
    }
    if (known === undefined || membership.nodes === undefined) {
      const nodes = [...deps.members().filter((m) => m.id !== member.id), member].sort((a, b) => a.id - b.id)
        .map((m) => ({ id: m.id, host: m.host, peerPort: m.peerPort }));
      await this.announce({
        ...membership, version: membership.version + 1, nodes, genesis: deps.genesis(), shape: { groups: deps.groups, replicas: deps.replicas },
      }, authorization);
      deps.log(`piccolo: node ${member.id} at ${peer as string} is a member; moving replicas to it`);
    }
    const target = deps.members().map((m) => m.id).filter((n) => !membership.removed.includes(n));
    const report = await this.move(target, authorization);
    return { ok: true, value: { id, ...report } };
  }

  /** Run the replica mover toward `target` for up to MOVE_WAIT_MS, one move at a time on this node. */
  private async move(target: readonly number[], authorization: string): Promise<MoveReport> {
    const { deps } = this;
    while (this.moving !== null) await this.moving.catch(() => undefined);
    const moving = moveReplicas({
      groups: deps.groups, replicas: deps.replicas, authorization, log: deps.log,
      nodes: () => deps.nodes(),
      membership: () => deps.membership(),
      announce: (record) => this.announce(record, authorization),
      transferLeader: async (group, to) => (await this.transferLeader({ group, to }, authorization)).ok,
    }, target, Date.now() + MOVE_WAIT_MS);
    this.moving = moving;
    try {
      return await moving;
    } finally {
      this.moving = null;
    }
  }

  /** Keep `record` here and tell every other node (best effort: a node that misses it is told the next one). */
  private async announce(record: MembershipRecord, authorization: string): Promise<void> {
    this.deps.adoptMembership(record);
    await Promise.all(this.deps.nodes().filter((n) => n.id !== this.deps.selfId && n.http !== null)
      .map((n) => postAdmin(n.http!, 'membership', { record }, authorization)));
  }

  private hostGroup(fields: Record<string, unknown>): AdminResult {
    const g = this.groupOf(fields);
    if (g === null) return this.badGroup();
    if (!this.deps.durable) return refuse('BAD_REQUEST', 'this node keeps no Raft state on disk (--in-memory): it cannot take a replica');
    this.deps.hostGroup(g);
    return { ok: true, value: { group: g } };
  }

  private confChange(fields: Record<string, unknown>): AdminResult {
    const g = this.groupOf(fields);
    if (g === null) return this.badGroup();
    const kind = fields.kind as ConfChangeKind;
    if (!CONF_KINDS.includes(kind)) return refuse('BAD_REQUEST', `kind must be one of ${CONF_KINDS.join(', ')}`);
    if (!Number.isInteger(fields.node) || (fields.node as number) <= 0) return refuse('BAD_REQUEST', 'node must be a node id');
    if (!this.deps.leadsHere(g)) return refuse('NOT_LEADER', `this node's replica does not lead group ${g}`);
    this.deps.confChange(g, kind, fields.node as number);
    return { ok: true, value: { group: g, kind, node: fields.node } };
  }

  private membership(fields: Record<string, unknown>): AdminResult {
    const record = parseMembership(fields.record, this.deps.groups);
    if (record === null) return refuse('BAD_REQUEST', 'record must be a membership record ({version, removed, replicas})');
    this.deps.adoptMembership(record);
    return { ok: true, value: { version: this.deps.membership().version } };
  }
}
