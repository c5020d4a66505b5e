// A shard fed by its log of one, driven the way a worker drives it
// (serveRequest / sweepGroup), for tests that speak in requests.

import type { Limits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { LocalLog, serveRequest, sweepGroup } from '../../core/shard/local-log.js';
import { Shard } from '../../core/shard/shard.js';

export class LocalShard {
  readonly shard: Shard;
  readonly log: LocalLog;

  constructor(index: number, limits: Limits) {
    this.shard = new Shard(index, limits);
    this.log = new LocalLog(this.shard);
  }

  handle(req: Request, nowMs: number): Reply {
    return serveRequest(this.log, req, nowMs);
  }

  /** One bounded sweep step: keys seen expired are removed through the log. */
  sweepExpired(nowMs: number, entriesMax?: number): number {
    return sweepGroup(this.log, nowMs, entriesMax);
  }

  get size(): number { return this.shard.size; }
  get expiringSize(): number { return this.shard.expiringSize; }
  get dataBytes(): number { return this.shard.dataBytes; }
}
