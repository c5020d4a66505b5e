// What the gateway's doors run requests through (they are the node's own
// doors, runtime-node/io/, given this executor instead of a node's): a keyed
// request goes through the Dispatcher, which validates it, splits a
// multi-key request (mget, mset, del of several keys) per group as a node
// does, and joins the parts' replies; each part goes to its group's leader
// (gateway-router.ts). A keyless request (count, flush, scan) goes whole to
// one node, which covers the cluster: splitting it here would make every
// node count, flush or scan every group once per part.

import type { Limits } from '../../core/limits.js';
import { Dispatcher, type RequestExecutor } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Request } from '../../core/protocol/ops.js';
import { validateRequest } from '../../core/protocol/validate.js';
import { routingKeyOf } from '../../core/routing/split.js';
import type { GatewayRouter } from './gateway-router.js';

export class GatewayExecutor implements RequestExecutor {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly router: GatewayRouter, private readonly limits: Limits) {
    this.dispatcher = new Dispatcher(router, limits);
  }

  execute(req: Request, onReply: ReplyCallback): void {
    if (routingKeyOf(req) !== null) {
      this.dispatcher.execute(req, onReply);
      return;
    }
    const invalid = validateRequest(req, this.limits);
    if (invalid) onReply(invalid);
    else this.router.submitAnywhere(req, onReply);
  }
}
