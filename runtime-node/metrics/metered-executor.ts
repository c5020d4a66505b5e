// A door's way to the Dispatcher that counts what passes: every request's op,
// its reply's error code if any, and its latency on the IO thread from
// dispatch to reply (performance.now()). Doors see only RequestExecutor, so
// they stay unaware of metrics.
//
// Cost per request: one opIndex switch, two performance.now() calls, one
// closure, and a few typed-array writes (RequestMeter.record).

import { executeEach, type RequestExecutor } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Bytes, Reply, Request } from '../../core/protocol/ops.js';
import { doorIndex, type Door } from './doors.js';
import { OP_COUNT, opIndex } from './op-index.js';
import type { RequestMeter } from './request-meter.js';

export class MeteredExecutor implements RequestExecutor {
  /** First cell of this door in the meter's arrays. */
  private readonly cellBase: number;

  constructor(private readonly inner: RequestExecutor, private readonly meter: RequestMeter, door: Door) {
    this.cellBase = doorIndex(door) * OP_COUNT;
  }

  execute(request: Request, onReply: ReplyCallback): void {
    const cell = this.cellBase + opIndex(request.op);
    const startedMs = performance.now();
    this.inner.execute(request, (reply) => {
      this.meter.record(cell, reply, performance.now() - startedMs);
      onReply(reply);
    });
  }

  /** Each part counted as a request, routed as the inner executor routes parts (or alone when it has no such routing). */
  executeParts(requests: readonly Request[], onReply: (index: number, reply: Reply) => void, commandKeys?: readonly Bytes[]): void {
    const inner = this.inner;
    if (inner.executeParts === undefined) {
      executeEach(this, requests, onReply);
      return;
    }
    const startedMs = performance.now();
    inner.executeParts(requests, (i, reply) => {
      this.meter.record(this.cellBase + opIndex(requests[i]!.op), reply, performance.now() - startedMs);
      onReply(i, reply);
    }, commandKeys);
  }
}
