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
//     followed to the leader it names, at most FORWARD_ATTEMPTS_MAX times;
//   - a request that could not be sent did nothing: the client hears
//     NOT_LEADER / OVERLOADED and may retry;
//   - a request sent whose answer was lost is retried if it is a read
//     (reads change nothing; so is a transaction of reads only); a write's
//     outcome is unknown (a transaction with a write in it too: it is one
//     log entry, applied whole or not at all), so it is answered
//     INDETERMINATE and never retried silently.
// Each group's requests keep the order they arrived in through all of this
// (core/routing/group-lane.ts): one followed or asked again goes before any
// later one, and none goes to a new leader while earlier ones are still
// out elsewhere (held by this node's worker, or on their way).

import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import { errReply, type Reply, type Request } from '../../core/protocol/ops.js';
import { GroupLane, type LanedRequest } from '../../core/routing/group-lane.js';
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

/** A request in its group's lane (core/routing/group-lane.ts). */
interface Forwarded extends LanedRequest {
  readonly request: Request;
  readonly onReply: ReplyCallback;
  /** Attempts made so far. */
  attempts: number;
  /** The node to try next: the leader a NOT_LEADER named; 0, whoever this node thinks leads. */
  to: number;
}

export class ForwardingRouter implements ShardTransport {
  readonly slotMap: SlotMap;
  /**
   * Each group's requests in arrival order, by destination node (this one
   * included): a request held by this node's worker during a leader change
   * and then forwarded must not be overtaken by a later one forwarded
   * straight to the new leader.
   */
  private readonly lanes = new Map<number, GroupLane<Forwarded, number>>();

  constructor(private readonly router: ClusterRouter, private readonly forwarder: PeerForwarder, private readonly selfId: number) {
    this.slotMap = router.slotMap;
  }

  submit(group: number, request: Request, onReply: ReplyCallback): void {
    const lane = this.laneOf(group);
    lane.add({ seq: lane.nextSeq(), request, onReply, attempts: 0, to: 0 });
    lane.pump();
  }

  private laneOf(group: number): GroupLane<Forwarded, number> {
    let lane = this.lanes.get(group);
    if (lane === undefined) {
      const created: GroupLane<Forwarded, number> = new GroupLane(() => this.sendWhatMay(group, created));
      this.lanes.set(group, created);
      lane = created;
    }
    return lane;
  }

  /** Sends from the head of `group`'s lane while its rules allow; lane.pump() runs it. */
  private sendWhatMay(group: number, lane: GroupLane<Forwarded, number>): void {
    for (let item = lane.head; item !== undefined; item = lane.head) {
      const leader = item.to !== 0 ? item.to : this.router.leaderOf(group);
      // No leader known: this node's own router answers (NOT_LEADER, or the worker's hold).
      const destination = leader === 0 ? this.selfId : leader;
      if (!lane.mayGoTo(destination)) return;
      lane.shift();
      item.attempts++;
      lane.sent(destination);
      const followable = (reply: Reply, hint: number): boolean =>
        !reply.ok && reply.code === 'NOT_LEADER' && hint !== 0 && hint !== destination && item.attempts < FORWARD_ATTEMPTS_MAX;
      const again = (to: number): void => {
        lane.answered();
        item.to = to;
        lane.putBack(item);
        lane.pump();
      };
      const answer = (reply: Reply): void => {
        lane.answered();
        item.onReply(reply);
        lane.pump();
      };
      if (destination === this.selfId) {
        this.router.submitLocal(group, item.request, (reply) => {
          const hint = reply.ok ? 0 : reply.leaderHint ?? 0;
          if (followable(reply, hint)) again(hint);
          else answer(reply);
        });
        continue;
      }
      this.forwarder.forward(destination, group, item.request, (outcome) => {
        const reply = this.replyOf(group, item.request, destination, outcome);
        if (reply !== null) {
          const hint = outcome.kind === 'answered' ? outcome.leaderHint : 0;
          if (followable(reply, hint)) again(hint);
          else answer(reply);
          return;
        }
        // A lost read: ask again, whoever leads now.
        if (item.attempts < FORWARD_ATTEMPTS_MAX) again(0);
        else answer(errReply('NOT_LEADER', `group ${group}: ${(outcome as { message: string }).message}; nothing was changed: retry`));
      });
    }
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
