// One load-generator connection in a closed loop: it keeps `depth` requests
// outstanding, and every reply makes room for one more. Replies arrive in
// request order, so the k-th reply answers the k-th request: its send time,
// op and size sit in a small ring indexed by sequence number.
//
// Timing: one clock read per TCP chunk on receipt and one per batched write
// on send. Requests written together leave together and replies read together
// arrived together, so this loses nothing but clock calls.

import type { LatencyHistogram } from './histogram.js';
import type { ReplyChecker } from './reply-check.js';
import type { LoadOp, RequestWriter } from './request-writer.js';
import type { BenchSocket } from './ws-client.js';

/** Where requests come from: returns the next (op, key) or null when there are no more. */
export interface RequestSource {
  next(): { op: LoadOp; keyIndex: number } | null;
}

/** Shared by the connections of one generator thread. */
export interface MeasureWindow {
  /** performance.now() range in which replies are counted; replies outside it are not recorded. */
  fromMs: number;
  toMs: number;
  histogram: LatencyHistogram;
  /** Replies received inside the window. */
  replies: number;
}

export class LoadConnection {
  /** Requests sent; also the id of the last one (ids count from 1). */
  sent = 0;
  received = 0;
  private readonly ringMask: number;
  private readonly sentAtMs: Float64Array;
  private readonly ops: Uint8Array;
  private readonly sizes: Uint32Array;
  private source: RequestSource | null = null;
  private window: MeasureWindow | null = null;
  private depth = 0;
  private finished: ((error: Error | null) => void) | null = null;
  private chunkNowMs = 0;
  private closedReason: string | null = null;

  constructor(
    private readonly socket: BenchSocket,
    private readonly writer: RequestWriter,
    private readonly checker: ReplyChecker,
    /** The deepest pipeline any run will use (sizes the in-flight ring). */
    depthMax: number,
  ) {
    let ring = 1;
    while (ring < depthMax) ring *= 2;
    this.ringMask = ring - 1;
    this.sentAtMs = new Float64Array(ring);
    this.ops = new Uint8Array(ring);
    this.sizes = new Uint32Array(ring);
    socket.setHandlers({
      onMessage: (payload, isBinary) => this.handleReply(payload, isBinary),
      onChunkEnd: () => this.handleChunkEnd(),
      onClose: (reason) => {
        this.closedReason = reason;
        this.finish(new Error(reason));
      },
    });
  }

  get outstanding(): number {
    return this.sent - this.received;
  }

  /**
   * Send requests from `source`, keeping `depth` outstanding, until it runs
   * dry (or `stop`) and every reply is in. Resolves then; rejects if the
   * connection ends first. Replies are recorded in `window` when given.
   */
  run(source: RequestSource, depth: number, window: MeasureWindow | null): Promise<void> {
    if (depth > this.ringMask + 1) throw new Error(`pipeline depth ${depth} over this connection's maximum ${this.ringMask + 1}`);
    this.depth = depth;
    this.source = source;
    this.window = window;
    return new Promise((resolve, reject) => {
      if (this.closedReason !== null) {
        reject(new Error(this.closedReason));
        return;
      }
      this.finished = (error) => (error ? reject(error) : resolve());
      this.refill();
      this.finishIfDone();
    });
  }

  private handleReply(payload: Uint8Array, isBinary: boolean): void {
    if (this.chunkNowMs === 0) this.chunkNowMs = performance.now();
    if (this.received === this.sent) {
      this.finish(new Error('reply without a request'));
      return;
    }
    const seq = ++this.received;
    const slot = seq & this.ringMask;
    this.checker.check(payload, isBinary, seq, this.ops[slot] as LoadOp, this.sizes[slot]!);
    const w = this.window;
    if (w && this.chunkNowMs >= w.fromMs && this.chunkNowMs < w.toMs) {
      w.replies++;
      w.histogram.record(Math.round((this.chunkNowMs - this.sentAtMs[slot]!) * 1e6));
    }
  }

  private handleChunkEnd(): void {
    this.chunkNowMs = 0;
    this.refill();
    this.finishIfDone();
  }

  /** Top up to `depth` outstanding requests with one write. */
  private refill(): void {
    const source = this.source;
    if (!source) return;
    const room = this.depth - this.outstanding;
    if (room <= 0) return;
    const out = Buffer.allocUnsafe(room * this.writer.frameBytesMax);
    let end = 0;
    const firstSeq = this.sent + 1;
    while (this.outstanding < this.depth) {
      const next = source.next();
      if (!next) {
        this.source = null;
        break;
      }
      const seq = ++this.sent;
      const start = end;
      end = this.writer.write(out, end, next.op, seq, next.keyIndex);
      const slot = seq & this.ringMask;
      this.ops[slot] = next.op;
      this.sizes[slot] = end - start - headerBytesOf(out, start);
    }
    if (end === 0) return;
    const nowMs = performance.now();
    for (let seq = firstSeq; seq <= this.sent; seq++) this.sentAtMs[seq & this.ringMask] = nowMs;
    this.socket.writeFrames(out.subarray(0, end));
  }

  private finishIfDone(): void {
    if (this.source === null && this.outstanding === 0) this.finish(null);
  }

  private finish(error: Error | null): void {
    const done = this.finished;
    if (!done) return;
    this.finished = null;
    this.source = null;
    done(error);
  }

  /** Stop issuing requests (outstanding replies still count as they arrive). */
  stop(): void {
    this.source = null;
    this.finishIfDone();
  }
}

/** Length of the client frame header at `start` (2 + extended length + 4 mask bytes). */
function headerBytesOf(out: Uint8Array, start: number): number {
  const code = out[start + 1]! & 0x7f;
  return (code < 126 ? 2 : code === 126 ? 4 : 10) + 4;
}
