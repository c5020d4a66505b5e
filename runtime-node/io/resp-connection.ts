// One RESP client connection: bytes in -> commands -> plans -> shard requests
// -> replies out, in command order.
//
// Pipelining: every complete command in the bytes received is parsed and
// dispatched at once; each takes a slot in the connection's queue. A slot is
// written when it and every slot before it are done, so replies leave in
// command order though shards answer in any order. A RequestsPlan's finish()
// runs only when its slot reaches the head of the queue, so it writes straight
// into the connection's ReplyWriter (whose protocol, RESP2 or 3, is then the
// one in effect for that reply); a follow-up plan it returns runs in the same
// slot. Replies are written to the socket once per batch: after the commands
// of one read, or (via the front's flush) once per burst of shard replies.
//
// Backpressure: TCP pushes back for us. At pipelineMax commands in flight, or
// past clientOutputBytesMax of replies the client has not read, the
// connection stops parsing and pauses the socket; it resumes as replies drain.
//
// Transactions: MULTI ... EXEC is core/resp/transaction.ts's state; the
// connection only holds an EXEC back (parsing nothing after it) while a WATCH
// read it depends on is unanswered, and goes on when that reply is written.
//
// Blocking commands (BLPOP ...; resp-blocking.ts): as in Redis, nothing the
// client pipelined after one runs until it is answered (popped or timed
// out), so a `BLPOP q 0` then `SET k v` never sets k while the pop waits.
// The commands behind it stay unparsed in the parser; the socket keeps
// being read (a FIN or a reset is still seen, which answers or drops the
// waiter) until BLOCKED_READ_BYTES_MAX of them wait, then it is paused. A
// client that leaves while blocked is freed as Redis frees it: the
// commands behind the blocked one never run.
//
// Pub/sub (resp-pubsub.ts): the connection asks its pub/sub side first
// (RESP2's subscribed mode), runs pub/sub commands there, lets it watch
// requests plans for keyspace notifications, and takes its pushes
// (deliverPush) into the reply order: after every reply already queued.
//
// Ending: QUIT and protocol errors stop reading, and the connection closes
// after the last reply is written. A client that half-closes (sends FIN after
// its commands) still gets every reply, then the connection closes. A peer
// that turns out to speak HTTP (security/cross-protocol-guard.ts) is cut off
// at once, with no reply.

import type { Socket } from 'node:net';
import { assert } from '../../core/assert.js';
import type { Limits } from '../../core/limits.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { blockingCallOf } from '../../core/resp/blocking-calls.js';
import { isOption } from '../../core/resp/command-args.js';
import type { ConnectionPlan, RequestsPlan, TranslateContext } from '../../core/resp/commands.js';
import { ReplyWriter, type RespValue } from '../../core/resp/reply-encoder.js';
import { RequestParser, requestParserOptionsFor } from '../../core/resp/request-parser.js';
import { RespTransaction } from '../../core/resp/transaction.js';
import { errorValue, type CommandOutcome, type Done, type RespSession, type RespStats } from './resp-command-context.js';
import { isHttpCommand } from '../security/cross-protocol-guard.js';
import type { PasswordGate } from '../security/password-gate.js';
import { NOAUTH_ERROR } from './resp-session-commands.js';
import { pushBytesBound, RespPubsubClient, type PushTarget, type RespPubsubNode } from './resp-pubsub.js';
import type { Flushable } from './send-batcher.js';

/** How long a closing connection may take to hand its last replies to a client that does not read them. */
export const CLOSE_LINGER_MS = 5_000;

/**
 * Unparsed bytes a connection blocked in BLPOP (or the like) reads before it
 * pauses its socket: enough that a client's pipelined tail is taken in
 * whole (so its FIN is seen), far below the parser's query-buffer limit,
 * which would end the connection with a protocol error.
 */
export const BLOCKED_READ_BYTES_MAX = 64 * 1024;

/** What a connection needs from the front door that owns it. */
export interface RespConnectionHost {
  readonly limits: Limits;
  readonly passwordGate: PasswordGate;
  readonly stats: RespStats;
  /** The node's pub/sub hub and keyspace notifier. */
  readonly pubsub: RespPubsubNode;
  /** `owner`: this connection, which a blocking command (BLPOP ...) that finds nothing parks (resp-blocking.ts). */
  execute(request: Request, onReply: ReplyCallback, owner?: object): void;
  /** The requests of one command, routed together (a cluster node forwards them when their keys span groups). */
  executeParts(requests: readonly Request[], onReply: (index: number, reply: Reply) => void): void;
  runConnectionCommand(plan: ConnectionPlan, session: RespSession, nowMs: number, done: Done): void;
  /** Replies were queued outside a read: flush this connection soon (once per burst). */
  markDirty(connection: RespConnection): void;
  /** A batch flush of this connection's replies is done (shutdown waits for the last). */
  onFlushed(): void;
  onClosed(connection: RespConnection): void;
  /** The client sent FIN: stop waiting for it (its blocked commands, resp-blocking.ts). */
  onReadEnded?(connection: RespConnection): void;
  /** The peer sent an HTTP request line or header; the connection is being closed. */
  onHttpDetected(connection: RespConnection): void;
}

/**
 * Finished slots a connection keeps for reuse: a slot and its reply callback
 * are allocated once, not per command. Enough for deep pipelines; small
 * enough that 10,000 idle connections do not hold much.
 */
const SLOT_POOL_MAX = 64;

/** A command's place in the reply order. */
class Slot {
  done = false;
  /** Requests plan whose finish() writes the reply once `done`; null for an outcome. */
  plan: RequestsPlan | null = null;
  /** Replies in request order. Reused for single-request plans; a fresh array whenever finish() may have kept the old one. */
  replies: Reply[] = [];
  remaining = 0;
  outcome: CommandOutcome | null = null;
  /** The reply callback of a single-request plan, made once per slot. */
  readonly onReply: ReplyCallback;

  constructor(onDone: () => void) {
    this.onReply = (reply) => {
      this.replies[0] = reply;
      this.remaining = 0;
      this.done = true;
      onDone();
    };
  }

  reset(): void {
    this.done = false;
    this.plan = null;
    this.remaining = 0;
    this.outcome = null;
    if (this.replies.length === 1) this.replies[0] = undefined as unknown as Reply;
    else this.replies = [];
  }
}

function addressOf(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '?';
  return address.includes(':') ? `[${address}]:${port ?? 0}` : `${address}:${port ?? 0}`;
}

export class RespConnection {
  readonly session: RespSession;
  /** What the node's SendBatcher calls once per burst: write the queued replies, then read on if limits allow. */
  readonly batchFlush: Flushable = {
    flush: () => {
      this.flush();
      this.resumeIfPossible();
      this.host.onFlushed();
    },
  };

  private readonly parser: RequestParser;
  private readonly writer = new ReplyWriter(2);
  private readonly ctx: TranslateContext;
  private slots: (Slot | undefined)[] = [];
  private head = 0;
  private readonly freeSlots: Slot[] = [];
  private readonly onSlotDone = (): void => this.writeReady();
  // Queued commands are watched for keyspace events too (they fire when EXEC's reply is written).
  private readonly tx = new RespTransaction((args, plan) => this.pubsub.watchWrites(args, plan));
  /** An EXEC parsed while a WATCH read was pending: run once it is answered, before parsing on. */
  private heldCommand: Uint8Array[] | null = null;
  /** The slot of a blocking command not yet written: nothing after it is parsed until it is. */
  private blockingSlot: Slot | null = null;
  private readonly pubsub: RespPubsubClient;
  /** Pushes waiting in slots behind pending replies (a bound, reset once the queue drains): counted against the slow-subscriber limit. */
  private queuedPushBytes = 0;

  private pumping = false;
  private writing = false;
  /** Parsing stopped at a limit; the socket is paused until replies drain. */
  private stalled = false;
  private paused = false;
  /** QUIT or a protocol error: read no more; close once the last reply is written. */
  private closing = false;
  private closeAfterWrite = false;
  /** The client sent FIN: close once every command it sent is answered. */
  private readEnded = false;
  private ended = false;
  private closed = false;

  constructor(private readonly socket: Socket, private readonly host: RespConnectionHost, id: number, nowMs: number) {
    this.parser = new RequestParser(requestParserOptionsFor(host.limits));
    this.ctx = { nowMs, limits: host.limits };
    this.session = {
      id,
      createdAtMs: nowMs,
      remoteAddress: addressOf(socket.remoteAddress, socket.remotePort),
      localAddress: addressOf(socket.localAddress, socket.localPort),
      name: '',
      libName: '',
      libVersion: '',
      authenticated: !host.passwordGate.required,
      protocol: 2,
      lastCommandAtMs: nowMs,
    };
    const target: PushTarget = {
      deliverPush: (value) => this.deliverPush(value),
      outputBytes: () => socket.writableLength + this.writer.pendingBytes + this.queuedPushBytes,
      destroy: () => socket.destroy(),
      description: `id=${id} addr=${this.session.remoteAddress}`,
    };
    this.pubsub = new RespPubsubClient(host.pubsub, target);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.handleData(chunk));
    socket.on('end', () => this.handleEnd());
    socket.on('drain', () => this.resumeIfPossible());
    // ECONNRESET and friends: 'close' follows, which is all we need.
    socket.on('error', () => {});
    socket.on('close', () => this.handleClose());
  }

  /** Commands received and not yet answered (written to the socket's buffer). */
  get inFlight(): number {
    return this.slots.length - this.head;
  }

  // ---- input ----------------------------------------------------------------

  private handleData(chunk: Buffer): void {
    if (this.closing || this.closed) return;
    // A plain view: the parser's argument views are then plain Uint8Arrays, cheaper to make than Buffers.
    this.parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.pump();
  }

  private handleEnd(): void {
    this.readEnded = true;
    if (this.blockingSlot !== null) {
      // Redis frees a blocked client that leaves: what it pipelined behind the blocked command never runs.
      this.stopReading();
      this.closeAfterWrite = true;
    }
    this.host.onReadEnded?.(this);
    this.flush();
  }

  /** Parse and dispatch commands while under the limits, then write what is ready. */
  private pump(): void {
    if (this.pumping || this.closing || this.closed) return;
    this.pumping = true;
    this.ctx.nowMs = Date.now();
    while (true) {
      if (this.atOutputLimits()) {
        this.stalled = true;
        break;
      }
      if (this.blockingSlot !== null) {
        // Resumed by resumeIfPossible once its reply is written (the batch flush after it).
        this.stalled = true;
        break;
      }
      if (this.heldCommand !== null) {
        // Resumed by resumeIfPossible once the WATCH reply is written (the batch flush after it).
        if (this.tx.watchPending) {
          this.stalled = true;
          break;
        }
        const held = this.heldCommand;
        this.heldCommand = null;
        this.handleCommand(held);
        if (this.closing) break;
        continue;
      }
      const parsed = this.parser.next();
      if (parsed.kind === 'need-more') break;
      if (parsed.kind === 'error') {
        this.stopReading();
        this.enqueue({ value: errorValue(`ERR ${parsed.message}`), close: true });
        break;
      }
      if (this.tx.holdsUntilWatched(parsed.args)) {
        this.heldCommand = parsed.args.map((a) => a.slice());
        continue;
      }
      this.handleCommand(parsed.args);
      if (this.closing) break;
    }
    this.writeReady();
    this.pumping = false;
    this.flush();
    const readOn = this.blockingSlot !== null && this.parser.bufferedBytes < BLOCKED_READ_BYTES_MAX && !this.atOutputLimits();
    if (this.stalled && !readOn && !this.paused && !this.closed) {
      this.socket.pause();
      this.paused = true;
    }
  }

  /** Commands in flight or replies unread at their limit: parse nothing more until they drain. */
  private atOutputLimits(): boolean {
    const limits = this.host.limits;
    return this.inFlight >= limits.pipelineMax || this.socket.writableLength + this.writer.pendingBytes > limits.clientOutputBytesMax;
  }

  private handleCommand(args: Uint8Array[]): void {
    const nowMs = this.ctx.nowMs;
    this.host.stats.commandProcessed();
    this.session.lastCommandAtMs = nowMs;
    if (isHttpCommand(args[0]!)) return this.abortAsHttp();
    if (!this.session.authenticated && !mayRunUnauthenticated(args[0]!)) {
      this.enqueue({ value: errorValue(NOAUTH_ERROR) });
      return;
    }
    const subscribedReply = this.pubsub.subscribedModeReply(args, this.session.protocol);
    if (subscribedReply !== null) return this.enqueue({ value: subscribedReply });
    const plan = this.tx.plan(args, this.ctx);
    switch (plan.kind) {
      case 'reply':
        // Nothing queued before it: write now, no slot needed.
        if (this.inFlight === 0 && !this.writing) this.writer.writeValue(plan.reply);
        else this.enqueue({ value: plan.reply });
        return;
      case 'requests': {
        const slot = this.newSlot();
        // Set before dispatch: the reply may come at once (an element was there), and then it is written at once too.
        if (plan.requests.length === 1 && blockingCallOf(plan.requests[0]!) !== null) this.blockingSlot = slot;
        this.dispatch(slot, this.pubsub.watchWrites(args, plan), false);
        return;
      }
      case 'connection': {
        const pushes = this.pubsub.run(plan);
        if (pushes !== null) {
          for (const value of pushes) this.enqueue({ value });
          return;
        }
        const slot = this.newSlot();
        this.host.runConnectionCommand(plan, this.session, nowMs, (outcome) => {
          assert(!slot.done, 'a connection command answered twice');
          if (outcome.close) this.stopReading();
          this.pubsub.connectionDone(plan, outcome.value);
          slot.outcome = outcome;
          slot.done = true;
          this.writeReady();
        });
        return;
      }
    }
  }

  /** Cross-protocol attack: drop the connection now, without replies (they would go to a web page). */
  private abortAsHttp(): void {
    this.stopReading();
    this.ended = true;
    this.host.onHttpDetected(this);
    this.socket.destroy();
  }

  private stopReading(): void {
    this.closing = true;
    if (!this.paused && !this.closed) {
      this.socket.pause();
      this.paused = true;
    }
  }

  // ---- the reply queue -------------------------------------------------------------

  private newSlot(): Slot {
    const slot = this.freeSlots.pop() ?? new Slot(this.onSlotDone);
    this.slots.push(slot);
    return slot;
  }

  private enqueue(outcome: CommandOutcome): void {
    const slot = this.newSlot();
    slot.outcome = outcome;
    slot.done = true;
    this.writeReady();
  }

  /** Run a plan's requests in this slot. `followUp`: a previous finish() saw the slot's replies array, so use a new one. */
  private dispatch(slot: Slot, plan: RequestsPlan, followUp: boolean): void {
    const requests = plan.requests;
    slot.plan = plan;
    slot.done = false;
    slot.remaining = requests.length;
    if (requests.length === 1) {
      if (followUp || slot.replies.length !== 1) slot.replies = [undefined as unknown as Reply];
      this.host.execute(requests[0]!, slot.onReply, this);
      return;
    }
    slot.replies = new Array<Reply>(requests.length);
    this.host.executeParts(requests, (i, reply) => {
      slot.replies[i] = reply;
      if (--slot.remaining === 0) {
        slot.done = true;
        this.writeReady();
      }
    });
  }

  /** Write every finished slot at the head of the queue into the writer. */
  private writeReady(): void {
    if (this.writing) return; // a reply arrived synchronously inside this loop; the loop picks it up
    this.writing = true;
    let wrote = false;
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head]!;
      if (!slot.done) break;
      if (slot.plan !== null) {
        const plan = slot.plan;
        slot.plan = null;
        const next = plan.finish(slot.replies, this.writer);
        if (next) {
          // A follow-up (MSETNX's set after its checks) runs in the same slot, keeping its place.
          this.dispatch(slot, next, true);
          continue;
        }
      } else {
        const outcome = slot.outcome!;
        if (outcome.protocol !== undefined) this.writer.protocol = outcome.protocol;
        this.writer.writeValue(outcome.value);
        if (outcome.close) this.closeAfterWrite = true;
      }
      this.slots[this.head++] = undefined;
      if (slot === this.blockingSlot) this.blockingSlot = null;
      if (this.freeSlots.length < SLOT_POOL_MAX) {
        slot.reset();
        this.freeSlots.push(slot);
      }
      wrote = true;
    }
    if (this.head === this.slots.length) {
      this.slots.length = 0;
      this.queuedPushBytes = 0; // every queued push is in the writer now
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    this.writing = false;
    if (wrote && !this.pumping) this.host.markDirty(this);
  }

  // ---- output -------------------------------------------------------------------

  /** A pub/sub push: written at once when no reply is pending, else queued behind them, so replies keep their order. */
  private deliverPush(value: RespValue): void {
    if (this.ended || this.closed) return;
    if (this.inFlight > 0 || this.writing) {
      this.queuedPushBytes += pushBytesBound(value);
      return this.enqueue({ value });
    }
    this.writer.writeValue(value);
    if (!this.pumping) this.host.markDirty(this);
  }

  /** Hand written replies to the socket; close if this connection is done. */
  flush(): void {
    if (this.closed) return;
    if (this.writer.pendingBytes > 0 && !this.ended) this.socket.write(this.writer.take());
    const finished = this.closeAfterWrite || (this.readEnded && !this.stalled && !this.closing);
    if (finished && this.inFlight === 0 && !this.ended) this.end();
  }

  /** After replies drained: parse again if a limit stopped us, and read again if we paused. */
  resumeIfPossible(): void {
    if (!this.stalled || this.closing || this.closed) return;
    const limits = this.host.limits;
    if (this.inFlight >= limits.pipelineMax || this.socket.writableLength > limits.clientOutputBytesMax) return;
    this.stalled = false;
    this.pump();
    if (!this.stalled && this.paused && !this.closing && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
    this.flush();
  }

  /** Server shutdown: write what is ready and close (the node already waited for in-flight requests). */
  shutdown(): void {
    if (this.closed || this.ended) return;
    this.stopReading();
    this.writeReady();
    if (this.writer.pendingBytes > 0) this.socket.write(this.writer.take());
    this.end();
  }

  private end(): void {
    this.ended = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.pubsub.close();
    this.host.onClosed(this);
  }
}

/** AUTH, HELLO and QUIT are allowed before authenticating, as in Redis. */
function mayRunUnauthenticated(name: Uint8Array): boolean {
  return isOption(name, 'AUTH') || isOption(name, 'HELLO') || isOption(name, 'QUIT');
}
