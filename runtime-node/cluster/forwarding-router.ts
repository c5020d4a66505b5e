// Where a cluster node sends shard requests that came in over HTTP or
// WebSocket: any node serves any request. A request for a group this node
// leads goes to its worker (ClusterRouter.submitLocal); any other is
// forwarded over the peer link to the group's leader (peer-forwarder.ts),
// which serves it there and answers. Keyless requests (count, flush, scan)
// go to each group's leader too, so over HTTP and WebSocket they cover the
// whole cluster, not one node's groups as RESP's do.
//
// Retries, each only when safe:
//   - NOT_LEADER (the asked node does not lead: certainly not applied) is
//     followed to the leader it names, at most FORWARD_HOPS_MAX times;
//   - a request that could not be sent did nothing: the client hears
//     NOT_LEADER / OVERLOADED and may retry;
//   - a request sent whose answer was lost is retried if it is a read
//     (reads change nothing; so is a transaction of reads only); a write's
//     outcome is unknown (a transaction with a write in it too: it is one
//     log entry, applied whole or not at all), so it is answered
//     INDETERMINATE and never retried silently.

import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import { errReply, type Reply, type Request } from '../../core/protocol/ops.js';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { isWriteRequest } from '../../core/shard/command.js';
import type { ClusterRouter } from './cluster-router.js';
import type { ForwardOutcome, PeerForwarder } from './peer-forwarder.js';

/**
 * Attempts per request: the first, then leaders named by NOT_LEADER or
 * re-read after a lost read. Three cover a leader change during the request
 * (old leader -> new leader) with one to spare; more would only hide a
 * cluster that cannot agree on a leader, which the client should hear about.
 */
export const FORWARD_ATTEMPTS_MAX = 3;

export class ForwardingRouter implements ShardTransport {
  readonly slotMap: SlotMap;

  constructor(private readonly router: ClusterRouter, private readonly forwarder: PeerForwarder, private readonly selfId: number) {
    this.slotMap = router.slotMap;
  }

  submit(group: number, request: Request, onReply: ReplyCallback): void {
    this.attempt(group, request, onReply, 1, this.router.leaderOf(group));
  }

  private attempt(group: number, request: Request, onReply: ReplyCallback, attempt: number, leader: number): void {
    const followable = (reply: Reply, hint: number, asked: number): boolean =>
      !reply.ok && reply.code === 'NOT_LEADER' && hint !== 0 && hint !== asked && attempt < FORWARD_ATTEMPTS_MAX;
    if (leader === this.selfId || leader === 0) {
      this.router.submitLocal(group, request, (reply) => {
        const hint = reply.ok ? 0 : reply.leaderHint ?? 0;
        if (followable(reply, hint, this.selfId)) this.attempt(group, request, onReply, attempt + 1, hint);
        else onReply(reply);
      });
      return;
    }
    this.forwarder.forward(leader, group, request, (outcome) => {
      const reply = this.replyOf(group, request, leader, outcome);
      if (reply !== null) {
        const hint = outcome.kind === 'answered' ? outcome.leaderHint : 0;
        if (followable(reply, hint, leader)) this.attempt(group, request, onReply, attempt + 1, hint);
        else onReply(reply);
        return;
      }
      // A lost read: ask again, whoever leads now.
      if (attempt < FORWARD_ATTEMPTS_MAX) this.attempt(group, request, onReply, attempt + 1, this.router.leaderOf(group));
      else onReply(errReply('NOT_LEADER', `group ${group}: ${(outcome as { message: string }).message}; nothing was changed: retry`));
    });
  }

  /** The reply an outcome gives the client; null for a lost read (it may be retried). */
  private replyOf(group: number, request: Request, asked: number, outcome: ForwardOutcome): Reply | null {
    switch (outcome.kind) {
      case 'answered': {
        const { reply } = outcome;
        // The leader's NOT_LEADER, restated with this node's view of the endpoints (and a redirect for the door).
        return !reply.ok && reply.code === 'NOT_LEADER' ? this.router.notLeader(group, request, outcome.leaderHint) : reply;
      }
      case 'not-sent':
        return outcome.code === 'NOT_LEADER'
          ? { ...this.router.notLeader(group, request, outcome.leader ?? 0), message: outcome.message }
          : errReply(outcome.code, outcome.message);
      case 'lost':
        if (!mayChangeData(request)) return null;
        return errReply('INDETERMINATE',
          `group ${group}: the write was forwarded to node ${asked}, its leader, and ${outcome.message}: it may or may not have been applied; read before retrying`);
      default: {
        const never: never = outcome;
        return never;
      }
    }
  }
}

/** Whether applying the request twice could differ from once: any write, or a transaction holding one. */
export function mayChangeData(request: Request): boolean {
  return request.op === 'tx' ? request.ops.some(isWriteRequest) : isWriteRequest(request);
}
