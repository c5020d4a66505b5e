// A door's way to the Dispatcher that counts what passes: every request's op,
// its reply's error code if any, and its latency on the IO thread from
// dispatch to reply (performance.now()). Doors see only RequestExecutor, so
// they stay unaware of metrics.
//
// Cost per request: one opIndex switch, two performance.now() calls, one
// closure, and a few typed-array writes (RequestMeter.record).

import type { RequestExecutor } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Request } from '../../core/protocol/ops.js';
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
}
