// One WebSocket to a node, carrying pipelined requests: every call is sent at
// once (up to pipelineMax in flight), replies are matched to calls in order
// (RequestPipeline), and one timer enforces the request timeout. Owns the
// connection's lifecycle: open -> closing (close() called, draining) -> closed.

import { unreachable } from '../core/assert.js';
import type { OkReply, Reply, Request } from '../core/protocol/ops.js';
import { WireEncodeError } from '../schema/wire-errors.js';
import { ConnectionClosedError, errorFromReply, PiccoloError, type ProtocolError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { RequestPipeline, type PendingCall } from './pipeline.js';
import {
  TIMER_DELAY_MS_MAX, WS_NORMAL_CLOSURE, type CloseEventLike, type WebSocketLike,
} from './web-socket.js';
import type { Frame, WireFormat } from './wire-format.js';

/**
 * After a timeout check the timer re-arms no sooner than this: against a
 * stalled node with many calls queued, that is at most ~100 wakeups a second
 * instead of one per call, for timeouts that fire up to 10 ms late.
 */
export const TIMEOUT_CHECK_MS_MIN = 10;

type State = 'open' | 'closing' | 'closed';

export class Connection {
  private readonly pipeline: RequestPipeline<Frame>;
  private state: State = 'open';
  /** Why calls fail once closed. */
  private closedError: ConnectionClosedError | null = null;
  /** Request ids are safe integers: at ten million requests a second they last 28 years. */
  private nextId = 1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    private readonly socket: WebSocketLike,
    private readonly format: WireFormat,
    private readonly options: ResolvedOptions,
    readonly url: string,
  ) {
    this.pipeline = new RequestPipeline<Frame>(options.pipelineMax, options.requestTimeoutMs, options.waitingBytesMax);
    this.closed = new Promise((resolve) => { this.markClosed = resolve; });
    socket.addEventListener('message', (event) => this.handleMessage(event.data));
    socket.addEventListener('close', (event) => this.handleClose(event));
    // An error is always followed by a close event, which does the work.
    socket.addEventListener('error', () => {});
  }

  /** Calls not yet settled (sent or waiting to be sent). */
  get pendingCount(): number {
    return this.pipeline.liveCount;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Sends one request; resolves with an ok reply, rejects with a PiccoloError. */
  call(req: Request): Promise<OkReply> {
    return new Promise<OkReply>((resolve, reject) => {
      this.submit(req, (reply) => (reply.ok ? resolve(reply) : reject(errorFromReply(reply))), reject);
    });
  }

  /**
   * Sends one request without a promise: `onReply` gets the server's reply,
   * error replies included (a gateway relays them as they are); `onError`
   * a failure on this side (not sent, connection lost, timeout), never both.
   */
  submit(req: Request, onReply: (reply: Reply) => void, onError: (error: PiccoloError) => void): void {
    if (this.state !== 'open') {
      onError(this.closedError ?? new ConnectionClosedError(`the client is closing; ${req.op} was not sent`));
      return;
    }
    const id = this.nextId++;
    let frame: Frame;
    try {
      frame = this.format.encode(id, req);
    } catch (cause) {
      // A number the format cannot carry is the caller's bad input; anything else
      // (a malformed request passed to request()) still fails this call only.
      if (!(cause instanceof WireEncodeError)) throw cause;
      onError(new PiccoloError('BAD_REQUEST', cause.message, { cause }));
      return;
    }
    if (this.format.frameExceeds(frame, this.options.frameBytesMax)) {
      onError(new PiccoloError('FRAME_TOO_LARGE',
        `${req.op} request is larger than frameBytesMax (${this.options.frameBytesMax} bytes)`));
      return;
    }
    const pending: PendingCall = { id, op: req.op, resolve: onReply, reject: onError };
    const now = performance.now();
    const outcome = this.pipeline.submit(pending, frame, this.format.frameSize(frame), now);
    switch (outcome.kind) {
      case 'send': this.socket.send(outcome.frame); break;
      case 'wait': break;
      case 'full':
        onError(new PiccoloError('OVERLOADED', `${req.op} not sent: ${outcome.waitingBytes} bytes of requests already wait `
          + `for the ${this.options.pipelineMax} in flight (waitingBytesMax ${this.options.waitingBytesMax}); await earlier calls first`));
        return;
      default: unreachable(outcome, 'submit outcome');
    }
    if (this.timer === null) this.armTimer(now, 0);
  }

  /**
   * Stops taking calls, lets every pending call finish (each is bounded by
   * requestTimeoutMs), then closes the socket. Resolves once it is closed.
   */
  close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.closeIfDrained();
    }
    return this.closed;
  }

  private handleMessage(data: unknown): void {
    if (this.state === 'closed') return;
    let decoded: ReturnType<WireFormat['decode']>;
    try {
      decoded = this.format.decode(data);
    } catch (error) {
      this.failProtocol(error as ProtocolError);
      return;
    }
    const outcome = this.pipeline.handleReply(decoded.id, decoded.reply);
    if (!outcome.ok) {
      this.failProtocol(outcome.error);
      return;
    }
    if (outcome.send !== null) this.socket.send(outcome.send);
    if (this.pipeline.liveCount === 0) {
      this.clearTimer();
      this.closeIfDrained();
    }
  }

  private handleClose(event: CloseEventLike): void {
    if (this.state === 'closed') return;
    const byUs = this.state === 'closing' && this.pipeline.liveCount === 0;
    const detail = `${event.code}${event.reason ? ` ${event.reason}` : ''}`;
    this.finish(new ConnectionClosedError(
      byUs ? 'the client is closed' : `the connection to ${this.url} closed (${detail})`, event.code, event.reason,
    ));
  }

  /** The reply stream cannot be trusted any more: fail everything and drop the socket. */
  private failProtocol(error: ProtocolError): void {
    this.finish(new ConnectionClosedError(`closed after a protocol error: ${error.message}`));
    try { this.socket.close(WS_NORMAL_CLOSURE, 'protocol error'); } catch { /* already closing */ }
  }

  private finish(error: ConnectionClosedError): void {
    this.state = 'closed';
    this.closedError = error;
    this.clearTimer();
    this.pipeline.failAll(error);
    this.markClosed();
  }

  private closeIfDrained(): void {
    if (this.state === 'closing' && this.pipeline.liveCount === 0) this.socket.close(WS_NORMAL_CLOSURE, 'client closed');
  }

  private armTimer(nowMs: number, delayMsMin: number): void {
    const deadlineMs = this.pipeline.pollDeadlineMs();
    if (deadlineMs === null || !Number.isFinite(deadlineMs)) return;
    const delayMs = Math.min(Math.max(deadlineMs - nowMs, delayMsMin), TIMER_DELAY_MS_MAX);
    this.timer = setTimeout(() => this.handleTimer(), delayMs);
  }

  private handleTimer(): void {
    this.timer = null;
    const now = performance.now();
    this.pipeline.handleTimeout(now);
    this.armTimer(now, TIMEOUT_CHECK_MS_MIN);
    if (this.pipeline.liveCount === 0) this.closeIfDrained();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
