// What the RESP door of a cluster node runs requests through. Redis Cluster
// clients send a single-group request to the leader of its slot and follow
// MOVED when that moved, so those keep the redirecting path (cluster-router.ts).
// An MGET or MSET whose keys span groups has no single node to redirect to:
// it is split by group and joined here, each part served locally or
// forwarded to its leader (forwarding-router.ts), never refused CROSSSLOT.
// Each part is atomic within its group only (docs/cluster.md).

import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { RequestExecutor } from '../../core/node/dispatcher.js';
import type { Request } from '../../core/protocol/ops.js';
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
    (this.spansGroups(req) ? this.forwarding : this.redirecting).execute(req, onReply);
  }

  private spansGroups(req: Request): boolean {
    const keys = req.op === 'mget' ? req.keys : req.op === 'mset' ? req.entries.map((e) => e.key) : null;
    if (keys === null || keys.length < 2) return false;
    const first = this.slotMap.shardOf(slotOf(keys[0]!));
    return keys.some((key) => this.slotMap.shardOf(slotOf(key)) !== first);
  }
}
