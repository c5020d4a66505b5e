// The pipelining state of one connection, without I/O: which calls are on
// the wire, which wait for room, and which have timed out. Time is an
// argument; the caller sends the frames this returns and arms one timer for
// pollDeadlineMs().
//
// Rules that make it work:
// - The server answers one reply per request, in request order, so the oldest
//   in-flight call owns the next reply; its id must match or the stream is broken.
// - Every call gets the same timeout, so deadlines grow in submission order and
//   the calls that expire are always a prefix of (in-flight ++ waiting).
// - A call that timed out on the wire stays in flight as a "ghost" until its
//   reply arrives: the reply must still be consumed, and it still uses one of
//   the server's pipeline slots. Ghosts therefore form a prefix of inFlight.

import { assert } from '../core/assert.js';
import type { Reply } from '../core/protocol/ops.js';
import { Deque } from './deque.js';
import { ProtocolError, TimeoutError, type PiccoloError } from './errors.js';

export interface PendingCall {
  readonly id: number;
  /** The op, for error messages. */
  readonly op: string;
  /** Any reply, ok or error; turning an error reply into a rejection is the caller's business. */
  resolve(reply: Reply): void;
  reject(error: PiccoloError): void;
}

interface Entry<F> {
  call: PendingCall;
  deadlineMs: number;
  /** Kept only while the call waits to be sent. */
  frame: F | null;
  frameBytes: number;
}

export type SubmitOutcome<F> =
  | { kind: 'send'; frame: F }
  /** Queued: it goes out when a reply frees a slot. */
  | { kind: 'wait' }
  /** Refused: waitingBytesMax bytes of requests already wait. The call was not recorded. */
  | { kind: 'full'; waitingBytes: number };

export type ReplyOutcome<F> =
  | { ok: true; /** A waiting call's frame to send now that a slot is free. */ send: F | null }
  | { ok: false; error: ProtocolError };

export class RequestPipeline<F> {
  /** Sent, reply not read yet; the first `ghosts` of them have timed out. */
  private readonly inFlight = new Deque<Entry<F>>();
  private ghosts = 0;
  /** Not sent yet because pipelineMax calls are in flight. */
  private readonly waiting = new Deque<Entry<F>>();
  private waitingBytes = 0;

  /** requestTimeoutMs: Infinity for none. */
  constructor(readonly pipelineMax: number, readonly requestTimeoutMs: number, readonly waitingBytesMax: number) {
    assert(Number.isSafeInteger(pipelineMax) && pipelineMax >= 1, `pipelineMax must be a positive integer, got ${pipelineMax}`);
    assert(requestTimeoutMs > 0, `requestTimeoutMs must be positive, got ${requestTimeoutMs}`);
    assert(Number.isSafeInteger(waitingBytesMax) && waitingBytesMax >= 1, `waitingBytesMax must be a positive integer, got ${waitingBytesMax}`);
  }

  /** Calls whose promise is still open (in flight or waiting, not timed out). */
  get liveCount(): number {
    return this.inFlight.length - this.ghosts + this.waiting.length;
  }

  /** Requests on the wire, timed-out ones included (they still hold a server slot). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Sends the call now, queues it until a slot frees, or refuses it when the queue is full. */
  submit(call: PendingCall, frame: F, frameBytes: number, nowMs: number): SubmitOutcome<F> {
    const entry: Entry<F> = { call, deadlineMs: nowMs + this.requestTimeoutMs, frame: null, frameBytes };
    if (this.waiting.length === 0 && this.inFlight.length < this.pipelineMax) {
      this.inFlight.push(entry);
      return { kind: 'send', frame };
    }
    // One call may always wait, however large, so a big request is never refused outright.
    if (this.waiting.length > 0 && this.waitingBytes + frameBytes > this.waitingBytesMax) {
      return { kind: 'full', waitingBytes: this.waitingBytes };
    }
    entry.frame = frame;
    this.waiting.push(entry);
    this.waitingBytes += frameBytes;
    return { kind: 'wait' };
  }

  /** The next reply frame, decoded. `id` null: the reply names no id this client sends. */
  handleReply(id: number | null, reply: Reply): ReplyOutcome<F> {
    const entry = this.inFlight.peek();
    if (!entry) return { ok: false, error: new ProtocolError(`a reply (id ${id}) arrived with no request in flight`) };
    if (id !== entry.call.id) {
      return { ok: false, error: new ProtocolError(`reply id ${id} does not match the oldest request in flight (id ${entry.call.id}, ${entry.call.op})`) };
    }
    this.inFlight.shift();
    if (this.ghosts > 0) this.ghosts--; // its caller already got a TimeoutError
    else entry.call.resolve(reply);
    return { ok: true, send: this.sendNextWaiting() };
  }

  /** Rejects every call whose deadline is at or before nowMs. */
  handleTimeout(nowMs: number): void {
    while (this.ghosts < this.inFlight.length) {
      const entry = this.inFlight.at(this.ghosts);
      if (entry.deadlineMs > nowMs) return;
      this.ghosts++;
      entry.call.reject(new TimeoutError(entry.call.op, this.requestTimeoutMs));
    }
    for (let entry = this.waiting.peek(); entry && entry.deadlineMs <= nowMs; entry = this.waiting.peek()) {
      this.waiting.shift();
      this.waitingBytes -= entry.frameBytes;
      entry.call.reject(new TimeoutError(entry.call.op, this.requestTimeoutMs));
    }
  }

  /** The earliest deadline of a live call, or null when none is live. */
  pollDeadlineMs(): number | null {
    if (this.ghosts < this.inFlight.length) return this.inFlight.at(this.ghosts).deadlineMs;
    return this.waiting.peek()?.deadlineMs ?? null;
  }

  /** The connection is gone: reject every live call, oldest first, and forget all. */
  failAll(error: PiccoloError): void {
    const inFlight = this.inFlight.drain().slice(this.ghosts);
    this.ghosts = 0;
    const waiting = this.waiting.drain();
    this.waitingBytes = 0;
    for (const entry of inFlight) entry.call.reject(error);
    for (const entry of waiting) entry.call.reject(error);
  }

  private sendNextWaiting(): F | null {
    if (this.inFlight.length >= this.pipelineMax) return null;
    const next = this.waiting.shift();
    if (!next) return null;
    this.waitingBytes -= next.frameBytes;
    const frame = next.frame;
    assert(frame !== null, 'a waiting call keeps its frame');
    next.frame = null;
    this.inFlight.push(next);
    return frame;
  }
}
