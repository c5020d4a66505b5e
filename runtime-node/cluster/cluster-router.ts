// Where a cluster node sends each shard request (it stands between the
// Dispatcher and the workers, as a ShardTransport): a request for a group
// this node leads goes to the worker hosting it; any other keyed request is
// answered at once with NOT_LEADER naming the leader's endpoints (RESP
// writes it as `MOVED <slot> <host>:<port>`, HTTP and WebSocket as
// NOT_LEADER with the endpoint in the message). A worker's own NOT_LEADER
// (leadership moved since the status was read) gets the same treatment.
//
// Keyless requests (DBSIZE's count, FLUSHDB's flush, SCAN / KEYS / RANDOMKEY)
// cover the groups this node leads, as Redis Cluster's are per node: for
// other groups they answer "nothing here".
//
// This is the RESP door's view (Redis Cluster clients follow MOVED). HTTP and
// WebSocket go through forwarding-router.ts, which sends requests for groups
// led elsewhere to their leader; the leader serves them with submitLocal.

import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import { errReply, type ErrReply, type Reply, type Request } from '../../core/protocol/ops.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { routingKeyOf } from '../../core/routing/split.js';
import type { ClusterTopology } from './cluster-topology.js';
import type { GroupStatusTable } from './group-status.js';

/** A node's client endpoints, `host:port`. */
export interface NodeEndpoints {
  readonly resp: string | null;
  readonly http: string;
}

const EMPTY = new Uint8Array(0);

/** The slot a request's key falls in; -1 for keyless requests. */
function slotOfRequest(request: Request): number {
  const key = routingKeyOf(request);
  return key === null ? -1 : slotOf(key);
}

/** What a keyless request finds in a group this node does not lead: nothing. */
function emptyReply(request: Request): Reply {
  if (request.op === 'scan') return { ok: true, scanItems: [], cursor: EMPTY };
  return { ok: true, integer: 0n };
}

export class ClusterRouter implements ShardTransport {
  readonly slotMap: SlotMap;

  constructor(
    private readonly workers: ShardTransport,
    private readonly topology: ClusterTopology,
    private readonly status: GroupStatusTable,
    /** Each node's endpoints, as its card said (this node's own included); undefined until known. */
    private readonly endpointsOf: (nodeId: number) => NodeEndpoints | undefined,
    /** Whether this node has a live peer link to a node. */
    private readonly linkUp: (nodeId: number) => boolean,
    /** Each group's preferred leader (leader-preferences.ts): the first guess for a group this node does not host. */
    private readonly preferredOf: (group: number) => number = (group) => topology.preferredLeader(group),
  ) {
    this.slotMap = workers.slotMap;
  }

  /**
   * The node leading `group` as far as this node knows: its replica's view
   * when it hosts the group; otherwise a guess, the preferred leader if this
   * node reaches it, else the first replica it reaches (a replica that does
   * not lead redirects again, to the leader it knows).
   */
  leaderOf(group: number): number {
    const nodes = this.topology.placement[group]!;
    if (nodes.includes(this.topology.selfId)) return this.status.leaderOf(group);
    const preferred = this.preferredOf(group);
    if (nodes.includes(preferred) && this.linkUp(preferred)) return preferred;
    return nodes.find((id) => this.linkUp(id)) ?? nodes[0]!;
  }

  submit(group: number, request: Request, onReply: ReplyCallback): void {
    if (slotOfRequest(request) >= 0) {
      this.submitLocal(group, request, onReply);
      return;
    }
    if (this.leaderOf(group) !== this.topology.selfId) {
      onReply(emptyReply(request));
      return;
    }
    // Led here when asked: if the lead moved before the worker served it, the group is led elsewhere now, and a
    // keyless request finds the same there as above (never a redirect: it has no slot, and RESP would say MOVED -1).
    this.submitLocal(group, request, (reply) => onReply(!reply.ok && reply.code === 'NOT_LEADER' ? emptyReply(request) : reply));
  }

  /** Whether requests for `group` go to this node's worker: it leads, or hosts the group and no leader is known (the replica knows best: it may have just won). */
  servesHere(group: number): boolean {
    const self = this.topology.selfId;
    const leader = this.leaderOf(group);
    return leader === self || (leader === 0 && this.topology.placement[group]!.includes(self));
  }

  /**
   * Serve here if this node leads `group`, else NOT_LEADER naming the leader,
   * keyless requests included (requests forwarded to this node come here:
   * they are never forwarded again).
   */
  submitLocal(group: number, request: Request, onReply: ReplyCallback): void {
    const slot = slotOfRequest(request);
    if (!this.servesHere(group)) {
      onReply(this.redirect(group, slot, this.leaderOf(group)));
      return;
    }
    this.workers.submit(group, request, (reply) => {
      onReply(!reply.ok && reply.code === 'NOT_LEADER' ? this.redirect(group, slot, reply.leaderHint ?? 0) : reply);
    });
  }

  /** NOT_LEADER for `request` naming `leader`'s endpoints (0 or unknown: saying none is known). */
  notLeader(group: number, request: Request, leader: number): ErrReply {
    return this.redirect(group, slotOfRequest(request), leader);
  }

  /** NOT_LEADER naming the leader's endpoints, or saying none is known (then RESP answers TRYAGAIN). */
  private redirect(group: number, slot: number, leader: number): ErrReply {
    const endpoints = leader !== 0 && leader !== this.topology.selfId ? this.endpointsOf(leader) : undefined;
    // Keyless requests (slot -1, forwarded count / flush / scan parts) name the group only.
    const what = slot < 0 ? `group ${group}` : `group ${group} (slot ${slot})`;
    if (endpoints === undefined) {
      const reply = errReply('NOT_LEADER', `${what} has no leader this node can name yet; retry shortly`);
      reply.redirect = { slot, resp: null, http: null };
      return reply;
    }
    const reply = errReply('NOT_LEADER',
      `${what} is led by node ${leader} at http://${endpoints.http}${endpoints.resp ? ` (RESP ${endpoints.resp})` : ''}`);
    reply.leaderHint = leader;
    reply.redirect = { slot, resp: endpoints.resp, http: endpoints.http };
    return reply;
  }
}
