// The IO side of one worker's pair of rings, without the waiting: submit
// requests (tagging each so its reply finds its callback) and drain replies.
// runtime-node drives it with Atomics.waitAsync/notify, runtime-sim with
// scheduled events; both use this same code.
//
// Backpressure: when the request ring is full, encoded requests wait in
// `backlog` in order and go out as the worker frees space. The backlog is
// bounded by the callers (each connection has at most pipelineMax requests in
// flight and connections are bounded), so nothing is dropped and nothing grows
// without bound.

import { assert } from '../assert.js';
import type { Reply, Request } from '../protocol/ops.js';
import { ByteWriter } from '../ring/byte-writer.js';
import { decodeReplyRecord, encodeRequestRecord } from '../ring/ring-codec.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { decodeChangeRecord, isChangeRecord, type ChangeRecord } from '../watch/change-record.js';

export type ReplyCallback = (reply: Reply) => void;

/** Tags are u32 in ring records; 0 is never used so a zeroed record is recognisably bogus, and 0xffffffff is CHANGE_TAG (core/watch/change-record.ts). */
const TAG_MAX = 0xfffffffe;

export class ShardChannel {
  private readonly callbacks = new Map<number, ReplyCallback>();
  private nextTag = 1;
  private readonly writer = new ByteWriter(64 * 1024);
  private backlog: Uint8Array[] = [];
  private backlogHead = 0;
  /** Takes the worker's change records (core/watch/), in ring order; they come only after the worker was asked to record. */
  onChange: ((record: ChangeRecord) => void) | null = null;

  constructor(readonly requests: SpscRing, readonly replies: SpscRing) {}

  get inFlight(): number {
    return this.callbacks.size;
  }

  get backlogLength(): number {
    return this.backlog.length - this.backlogHead;
  }

  /**
   * Queue a request for `shard` on this worker. Returns true when the worker
   * sleeps and must be notified (on requests.header[signalConsumerIndex]).
   */
  submit(shard: number, request: Request, onReply: ReplyCallback): boolean {
    const tag = this.nextTag;
    this.nextTag = this.nextTag >= TAG_MAX ? 1 : this.nextTag + 1;
    assert(!this.callbacks.has(tag), 'request tag reused while in flight');
    this.callbacks.set(tag, onReply);
    this.writer.reset();
    encodeRequestRecord(this.writer, tag, shard, request);
    const record = this.writer.bytes();
    assert(record.length <= this.requests.payloadBytesMax, 'request record larger than the ring allows (limits not enforced?)');
    if (this.backlogLength > 0 || !this.requests.tryWrite(record)) {
      this.backlog.push(record.slice());
      return this.flushBacklog();
    }
    return this.requests.publish();
  }

  /** Move backlog into the ring as space allows. Returns true when the worker must be notified. */
  flushBacklog(): boolean {
    let moved = false;
    while (this.backlogHead < this.backlog.length) {
      if (!this.requests.tryWrite(this.backlog[this.backlogHead]!)) break;
      this.backlog[this.backlogHead++] = EMPTY;
      moved = true;
    }
    if (this.backlogHead === this.backlog.length && this.backlogHead > 0) {
      this.backlog = [];
      this.backlogHead = 0;
    }
    return moved ? this.requests.publish() : false;
  }

  /**
   * Deliver every visible reply to its callback, then retry the backlog.
   * Returns which sides must be notified.
   */
  drainReplies(): { delivered: number; notifyWorkerProducer: boolean; notifyWorkerConsumer: boolean } {
    const ring = this.replies;
    let delivered = 0;
    for (let at = ring.peek(); at >= 0; at = ring.peek()) {
      if (isChangeRecord(ring.data, at)) {
        const record = decodeChangeRecord(ring.data, at, at + ring.lastLength);
        ring.release();
        delivered++;
        assert(this.onChange !== null, 'a change record reached an IO side that takes none');
        this.onChange(record);
        continue;
      }
      const { tag, reply } = decodeReplyRecord(ring.data, at, at + ring.lastLength);
      ring.release();
      delivered++;
      const callback = this.callbacks.get(tag);
      assert(callback !== undefined, () => `reply for unknown tag ${tag}`);
      this.callbacks.delete(tag);
      callback(reply);
    }
    const notifyWorkerProducer = delivered > 0 ? ring.flushHead() : false;
    const notifyWorkerConsumer = this.backlogLength > 0 ? this.flushBacklog() : false;
    return { delivered, notifyWorkerProducer, notifyWorkerConsumer };
  }
}

const EMPTY = new Uint8Array(0);
