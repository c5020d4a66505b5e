// What the RESP door of a cluster node runs requests through. Redis Cluster
// clients send a single-group request to the leader of its slot and follow
// MOVED when that moved, so those keep the redirecting path (cluster-router.ts).
// An MGET or MSET whose keys span groups has no single node to redirect to:
// it is split by group and joined here, each part served locally or
// forwarded to its leader (forwarding-router.ts), never refused CROSSSLOT.
// Each part is atomic within its group only (docs/cluster.md). Commands
// that RESP runs as several requests (DEL, EXISTS, UNLINK and MSETNX with
// several keys, RENAME) come as parts of one command (executeParts): when
// their keys span groups they are forwarded too, so they are served as in
// the "any client, any node" rather than redirected one key at a time.

import type { ReplyCallback } from '../../core/node/shard-channel.js';
import { executeEach, type RequestExecutor } from '../../core/node/dispatcher.js';
import type { Bytes, Reply, Request } from '../../core/protocol/ops.js';
import { keysOfRequest } from '../../core/protocol/transaction.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import type { SlotMap } from '../../core/routing/slot-map.js';

export class RespClusterExecutor implements RequestExecutor {
  constructor(
    private readonly slotMap: SlotMap,
    /** Redirects requests for groups led elsewhere (MOVED). */
    private readonly redirecting: RequestExecutor,
    /** Forwards them to their leader. */
    private readonly forwarding: RequestExecutor,
  ) {}

  execute(req: Request, onReply: ReplyCallback): void {
    const keys = req.op === 'mget' ? req.keys : req.op === 'mset' ? req.entries.map((e) => e.key) : null;
    (keys !== null && this.spansGroups(keys) ? this.forwarding : this.redirecting).execute(req, onReply);
  }

  /** The requests of one command, routed as a whole: forwarded when their keys span groups, else redirected (MOVED). */
  executeParts(requests: readonly Request[], onReply: (index: number, reply: Reply) => void, commandKeys?: readonly Bytes[]): void {
    const via = this.spansGroups(commandKeys ?? requests.flatMap(keysOfRequest)) ? this.forwarding : this.redirecting;
    executeEach(via, requests, onReply);
  }

  private spansGroups(keys: readonly Bytes[]): boolean {
    if (keys.length < 2) return false;
    const first = this.slotMap.shardOf(slotOf(keys[0]!));
    return keys.some((key) => this.slotMap.shardOf(slotOf(key)) !== first);
  }
}
