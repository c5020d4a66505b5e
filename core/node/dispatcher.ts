// Turns one client request into shard requests and one reply: validates it
// against the limits, splits multi-shard requests (core/routing/split.ts),
// submits the parts to the shards and joins their replies. Every front door
// (WebSocket, HTTP, RESP) of runtime-node, and the simulator, go through here.
//
// A joined reply obeys the same size limits as one shard's: an MGET whose
// values add up to more than a frame is refused with LIMIT_EXCEEDED, and a
// SCAN page gathered over several shards is cut short (with a cursor into the
// shard where it stopped) once it holds a page's worth of bytes.

import type { Limits } from '../limits.js';
import { errReply, type Bytes, type OkReply, type Reply, type Request, type ScanItem } from '../protocol/ops.js';
import { itemValueBytes, scanItemBytes, scanPageBytesMax } from '../protocol/reply-size.js';
import { validateRequest } from '../protocol/validate.js';
import { advanceScan, encodeScanCursor, planRequest, SCAN_ROUNDS_PER_PAGE_MAX } from '../routing/split.js';
import type { SlotMap } from '../routing/slot-map.js';
import type { ReplyCallback } from './shard-channel.js';

/** Where the dispatcher sends shard requests: the node's workers (real or simulated). */
export interface ShardTransport {
  readonly slotMap: SlotMap;
  submit(shard: number, request: Request, onReply: ReplyCallback): void;
}

/** What a front door runs requests through: the Dispatcher, or a wrapper around it (metrics). */
export interface RequestExecutor {
  execute(req: Request, onReply: ReplyCallback): void;
  /**
   * The requests of one command, routed together; `commandKeys` names all its keys when its requests do not.
   * Optional: without it each request runs alone. A cluster node's RESP door has it (forwarding keys of several groups).
   */
  executeParts?(requests: readonly Request[], onReply: (index: number, reply: Reply) => void, commandKeys?: readonly Bytes[]): void;
}

/** Runs each of a command's requests on its own through `executor` (what executeParts does without routing of its own). */
export function executeEach(executor: RequestExecutor, requests: readonly Request[], onReply: (index: number, reply: Reply) => void): void {
  requests.forEach((request, i) => executor.execute(request, (reply) => onReply(i, reply)));
}

export class Dispatcher implements RequestExecutor {
  constructor(private readonly pool: ShardTransport, private readonly limits: Limits) {}

  execute(req: Request, onReply: ReplyCallback): void {
    const invalid = validateRequest(req, this.limits);
    if (invalid) {
      onReply(invalid);
      return;
    }
    const plan = planRequest(req, this.pool.slotMap);
    if (plan.parts.length === 0) {
      onReply(plan.join([]));
      return;
    }
    if (plan.parts.length === 1) {
      const part = plan.parts[0]!;
      if (req.op === 'scan') {
        this.scanFrom(part.shard, { ...req, cursor: (part.request as typeof req).cursor }, [], 0, onReply);
        return;
      }
      this.pool.submit(part.shard, part.request, onReply);
      return;
    }
    const replies: Reply[] = new Array(plan.parts.length);
    let remaining = plan.parts.length;
    plan.parts.forEach((part, i) => {
      this.pool.submit(part.shard, part.request, (reply) => {
        replies[i] = reply;
        if (--remaining === 0) onReply(this.bounded(plan.join(replies)));
      });
    });
  }

  /** A joined MGET within the frame limit, as one shard's must be, or LIMIT_EXCEEDED. */
  private bounded(reply: Reply): Reply {
    if (!reply.ok || reply.items === undefined) return reply;
    const bytes = itemValueBytes(reply.items);
    if (bytes <= this.limits.frameBytesMax) return reply;
    return errReply('LIMIT_EXCEEDED', `values add up to ${bytes} bytes, more than the frame limit of ${this.limits.frameBytesMax} bytes`);
  }

  /**
   * Scan shard by shard until the page is full (in items or in bytes), every
   * shard is done, or SCAN_ROUNDS_PER_PAGE_MAX shard pages were asked for
   * (a shard's page over a sparse match may come back short: see split.ts).
   */
  private scanFrom(
    shard: number, req: Extract<Request, { op: 'scan' }>, acc: ScanItem[], accBytes: number, onReply: ReplyCallback, rounds = 1,
  ): void {
    const shardCount = this.pool.slotMap.shardCount;
    this.pool.submit(shard, { ...req, limit: req.limit - acc.length }, (reply) => {
      if (!reply.ok) {
        onReply(reply);
        return;
      }
      const got = reply.scanItems ?? [];
      const budget = scanPageBytesMax(this.limits);
      let bytes = accBytes;
      for (const item of got) bytes += scanItemBytes(item);
      if (bytes > budget && acc.length > 0) {
        // Full (a shard's page is within the budget alone): the next page asks this shard again from the same cursor.
        onReply({ ok: true, scanItems: acc, cursor: encodeScanCursor(shard, req.cursor) });
        return;
      }
      const items = acc.length === 0 ? got : acc.concat(got);
      const { cursor, nextShard } = advanceScan(shard, shardCount, reply.cursor ?? new Uint8Array(0));
      const innerNext = reply.cursor ?? new Uint8Array(0);
      if (items.length < req.limit && rounds < SCAN_ROUNDS_PER_PAGE_MAX && (nextShard !== null || innerNext.length > 0)) {
        const next = nextShard ?? shard;
        this.scanFrom(next, { ...req, cursor: nextShard !== null ? new Uint8Array(0) : innerNext }, items, bytes, onReply, rounds + 1);
        return;
      }
      const out: OkReply = { ok: true, scanItems: items, cursor };
      onReply(out);
    });
  }

  /** For front doors that must refuse work (shutting down, overloaded). */
  static refuse(code: 'SHUTTING_DOWN' | 'OVERLOADED', onReply: ReplyCallback): void {
    onReply(errReply(code, code === 'SHUTTING_DOWN' ? 'the node is shutting down' : 'the node is overloaded; retry later'));
  }
}
