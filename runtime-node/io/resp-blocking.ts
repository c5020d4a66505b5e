// Blocking list commands on the RESP door (BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH, BLMPOP): the runtime half of core/resp/blocking-waiters.ts.
// Every single request a connection sends goes through `execute`: a
// blocking command whose run finds every list empty is parked instead of
// answered, and run again when a key it waits on is written through this
// door, or when a periodic read finds one of its keys non-empty, until it gets something or its timeout answers it
// with a nil array. The connection's reply slot simply stays pending, so
// the replies after it keep their order.
//
// A parked command belongs to its connection: when the connection closes
// its waiters go (a retry already running may still pop an element, which
// then goes nowhere: a client that leaves while blocked loses it, where
// Redis would have kept it). Inside MULTI a blocking command is part of a
// `tx` request and never parks (Redis runs it as its non-blocking form).

import type { ReplyCallback } from '../../core/node/shard-channel.js';
import { binaryStringToBytes, bytesToBinaryString } from '../../core/bytes.js';
import { NIL_ARRAY } from '../../core/protocol/data-value.js';
import { errReply, type Request } from '../../core/protocol/ops.js';
import { blockingCallOf, foundNothing, keysWritten, type BlockingCall } from '../../core/resp/blocking-calls.js';
import { BLOCKING_WAITERS_FULL_MESSAGE, BlockingWaiters, type Waiter } from '../../core/resp/blocking-waiters.js';

type Execute = (request: Request, onReply: ReplyCallback) => void;

interface Parked {
  request: Request;
  onReply: ReplyCallback;
}

export class RespBlocking {
  private readonly waiters: BlockingWaiters<object>;
  private readonly parked = new Map<number, Parked>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAtMs = Infinity;

  constructor(private readonly executeNow: Execute, private readonly clock: () => number = Date.now) {
    this.waiters = new BlockingWaiters(clock());
  }

  /** Commands parked now. */
  get blockedCount(): number {
    return this.parked.size;
  }

  /**
   * Run one request; `owner` is the connection that sent it (null: a
   * request of the node's own, which never parks). A successful write
   * wakes the commands waiting on its keys.
   */
  execute(request: Request, onReply: ReplyCallback, owner: object | null): void {
    const blocking = owner === null ? null : blockingCallOf(request);
    this.executeNow(request, (reply) => {
      if (blocking !== null && foundNothing(reply)) return this.park(request, onReply, owner!, blocking);
      this.noteWrite(request, reply);
      onReply(reply);
    });
  }

  /** The connection closed: its parked commands are never answered. */
  dropOwner(owner: object): void {
    for (const waiter of this.waiters.removeOwner(owner)) this.parked.delete(waiter.id);
    this.arm();
  }

  /**
   * The client sent FIN: Redis would drop it, so its parked commands stop
   * waiting now, answered as timed out, and the connection can finish and
   * close instead of holding a half-open socket until an element comes.
   */
  endOwner(owner: object): void {
    for (const waiter of this.waiters.removeOwner(owner)) this.answerTimedOut(waiter);
    this.arm();
  }

  /** The door is closing: forget every parked command and stop the timer. */
  close(): void {
    this.waiters.clear();
    this.parked.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAtMs = Infinity;
  }

  private park(request: Request, onReply: ReplyCallback, owner: object, call: BlockingCall): void {
    const deadlineMs = call.timeoutMs === 0 ? Infinity : this.clock() + call.timeoutMs;
    const waiter = this.waiters.add(call.keys.map(bytesToBinaryString), deadlineMs, owner);
    if (waiter === null) return onReply(errReply('LIMIT_EXCEEDED', BLOCKING_WAITERS_FULL_MESSAGE));
    this.parked.set(waiter.id, { request, onReply });
    this.arm();
  }

  private retry(waiter: Waiter<object>): void {
    const parked = this.parked.get(waiter.id);
    if (parked === undefined) return;
    this.executeNow(parked.request, (reply) => {
      if (!this.parked.has(waiter.id)) {
        // Its connection closed while the retry ran: nobody to answer; what it wrote still wakes others.
        this.noteWrite(parked.request, reply);
        return;
      }
      if (foundNothing(reply)) {
        if (this.waiters.onRetryEmpty(waiter, this.clock())) this.retry(waiter);
        else this.arm();
        return;
      }
      this.waiters.remove(waiter);
      this.parked.delete(waiter.id);
      this.noteWrite(parked.request, reply);
      parked.onReply(reply);
      this.arm();
    });
  }

  private noteWrite(request: Request, reply: Parameters<ReplyCallback>[0]): void {
    if (this.waiters.size === 0) return;
    for (const key of keysWritten(request, reply)) this.wake(bytesToBinaryString(key));
  }

  private wake(key: string): void {
    for (const waiter of this.waiters.onKeyWritten(key)) this.retry(waiter);
  }

  /** Read a waited key's length (no log entry, unlike a retry); something there wakes its waiters. */
  private probe(key: string): void {
    this.executeNow({ op: 'call', name: 'llen', args: [binaryStringToBytes(key)] }, (reply) => {
      if (reply.ok && reply.data?.t === 'int' && reply.data.v > 0n) this.wake(key);
    });
  }

  /** Keep one timer, at the earliest deadline or repoll. */
  private arm(): void {
    const dueMs = this.waiters.nextDueMs();
    if (dueMs === Infinity) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.timerAtMs = Infinity;
      return;
    }
    if (this.timer !== null && this.timerAtMs <= dueMs) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAtMs = dueMs;
    this.timer = setTimeout(() => this.tick(), Math.max(0, dueMs - this.clock()));
    // A parked command is no reason to keep the process alive.
    this.timer.unref();
  }

  /** Redis's answer to a blocked command that got nothing: a nil array (`*-1` / `_`), BLMOVE's too. */
  private answerTimedOut(waiter: Waiter<object>): void {
    const parked = this.parked.get(waiter.id)!;
    this.parked.delete(waiter.id);
    parked.onReply({ ok: true, data: NIL_ARRAY });
  }

  private tick(): void {
    this.timer = null;
    this.timerAtMs = Infinity;
    const nowMs = this.clock();
    for (const waiter of this.waiters.expired(nowMs)) this.answerTimedOut(waiter);
    for (const key of this.waiters.repollKeys(nowMs)) this.probe(key);
    this.arm();
  }
}
