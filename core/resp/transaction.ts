// A RESP connection's transaction: MULTI / EXEC / DISCARD / WATCH / UNWATCH
// with Redis's semantics, as one state machine per connection (the
// connection owns the socket; this owns what the commands mean). Pure.
//
// MULTI starts queuing: every later command is translated at once (so a
// syntax error is known now), answered +QUEUED and kept; EXEC sends the
// queued requests as ONE `tx` request (core/protocol/ops.ts), applied by one
// shard group as one log entry, and answers one array: each queued
// command's reply, written by that command's own finish() from its part of
// the transaction's replies. A command refused while queuing (unknown,
// wrong arity, syntax, over a limit, not allowed in a transaction) is
// answered with its error and marks the transaction, so EXEC answers
// EXECABORT and nothing runs. An error an op meets when applied (INCR on
// text) is that op's element of the array; the others still apply.
//
// WATCH reads each key's version (a linearizable MGET through the normal
// path) and EXEC carries them: the shard applies nothing and EXEC answers
// nil if any changed. Versions are log indexes and never repeat; an absent
// key is version 0, so a key created and deleted again between WATCH and
// EXEC does not abort EXEC (Redis's would): the transaction still commits
// against the state it was prepared on (docs/protocol.md).
//
// Order: WATCH's versions arrive with its reply, after EXEC may have been
// parsed (a pipeline). The connection holds EXEC back while a WATCH read is
// pending (`holdsUntilWatched`), and everything after it waits in the parser.

import type { Reply, Request, WatchedKey } from '../protocol/ops.js';
import { isTxAllowedOp, opEncodedBytesBound, TX_OP_OVERHEAD_BYTES, TX_OPS_MAX, txBytesMax } from '../protocol/transaction.js';
import { isOption } from './command-args.js';
import { translate } from './commands.js';
import { errorPlan, OK_PLAN, replyPlan, requestsPlan, writeErrReply, type Plan, type RequestsPlan, type TranslateContext } from './plan.js';
import type { ReplyWriter, RespValue } from './reply-encoder.js';

export const EXECABORT_ERROR = 'EXECABORT Transaction discarded because of previous errors.';
export const EXEC_WITHOUT_MULTI_ERROR = 'ERR EXEC without MULTI';
export const DISCARD_WITHOUT_MULTI_ERROR = 'ERR DISCARD without MULTI';
export const MULTI_NESTED_ERROR = 'ERR MULTI calls can not be nested';
export const WATCH_INSIDE_MULTI_ERROR = 'ERR WATCH inside MULTI is not allowed';
/** A command with a second step (MSETNX checks, then sets) cannot be one part of one log entry. */
export const TWO_STEP_IN_MULTI_ERROR = 'ERR this command runs in two steps, which a transaction cannot hold';

const QUEUED_PLAN = replyPlan({ type: 'simple', text: 'QUEUED' });

/** The commands this module answers itself (commands.ts routes them here as connection commands). */
export const TRANSACTION_COMMANDS: ReadonlySet<string> = new Set(['multi', 'exec', 'discard', 'watch', 'unwatch']);

/** A queued command: an immediate reply (PING, ECHO) or requests with the finish that writes their reply. */
type Queued = { reply: RespValue; plan: null } | { reply: null; plan: RequestsPlan };

export class RespTransaction {
  /**
   * `watchQueued`: the plan to keep for a queued command (the door wraps it
   * to publish keyspace events when EXEC's reply writes it); default: as is.
   */
  constructor(private readonly watchQueued: (args: readonly Uint8Array[], plan: RequestsPlan) => RequestsPlan = (_args, plan) => plan) {}

  private queuing = false;
  /** A command was refused while queuing: EXEC answers EXECABORT. */
  private dirty = false;
  private queued: Queued[] = [];
  private queuedOps = 0;
  private queuedBytes = TX_OP_OVERHEAD_BYTES;
  /** Watched keys by their bytes as latin1 text; a key watched again keeps its first version, as in Redis. */
  private readonly watched = new Map<string, WatchedKey>();
  /** WATCH reads not yet answered: EXEC must wait for their versions. */
  private watchReadsPending = 0;

  /** Whether the connection must hold this command back until the pending WATCH reads answer. */
  holdsUntilWatched(args: readonly Uint8Array[]): boolean {
    return this.watchReadsPending > 0 && this.queuing && args.length === 1 && isOption(args[0]!, 'EXEC');
  }

  get watchPending(): boolean {
    return this.watchReadsPending > 0;
  }

  /**
   * The plan for one command on this connection (`args` may be views into a
   * transient buffer: what is queued is copied). QUIT runs at once even
   * while queuing, as in Redis.
   */
  plan(args: Uint8Array[], ctx: TranslateContext): Plan {
    if (!this.queuing) {
      const plan = translate(args, ctx);
      if (plan.kind === 'connection' && TRANSACTION_COMMANDS.has(plan.name)) return this.control(plan.name, plan.args, ctx);
      return plan;
    }
    const plan = translate(args.map((a) => a.slice()), ctx);
    switch (plan.kind) {
      case 'reply':
        if (plan.reply.type === 'error') return this.refuse(plan);
        return this.enqueue({ reply: plan.reply, plan: null }, 0, 0, ctx);
      case 'connection':
        if (TRANSACTION_COMMANDS.has(plan.name)) return this.control(plan.name, plan.args, ctx);
        if (plan.name === 'quit') return plan;
        return this.refuse(errorPlan(`ERR ${plan.name.toUpperCase()} is not supported inside MULTI`));
      case 'requests': {
        let bytes = 0;
        for (const request of plan.requests) {
          if (!isTxAllowedOp(request.op)) return this.refuse(errorPlan(`ERR ${commandNameOf(args)} inside MULTI is not supported: it spans every shard`));
          bytes += opEncodedBytesBound(request);
        }
        return this.enqueue({ reply: null, plan: this.watchQueued(args, plan) }, plan.requests.length, bytes, ctx);
      }
    }
  }

  private enqueue(item: Queued, ops: number, bytes: number, ctx: TranslateContext): Plan {
    if (this.queuedOps + ops > TX_OPS_MAX || this.queued.length >= TX_OPS_MAX) {
      return this.refuse(errorPlan(`ERR transaction holds more than ${TX_OPS_MAX} commands (the limit); it will be discarded`));
    }
    if (this.queuedBytes + bytes > txBytesMax(ctx.limits)) {
      return this.refuse(errorPlan(`ERR transaction holds more than ${txBytesMax(ctx.limits)} bytes (the limit); it will be discarded`));
    }
    this.queued.push(item);
    this.queuedOps += ops;
    this.queuedBytes += bytes;
    return QUEUED_PLAN;
  }

  private refuse(plan: Plan): Plan {
    this.dirty = true;
    return plan;
  }

  /** MULTI, EXEC, DISCARD, WATCH, UNWATCH (arity already checked by translate). */
  private control(name: string, args: Uint8Array[], ctx: TranslateContext): Plan {
    switch (name) {
      case 'multi':
        if (this.queuing) return errorPlan(MULTI_NESTED_ERROR);
        this.queuing = true;
        return OK_PLAN;
      case 'exec':
        if (!this.queuing) return errorPlan(EXEC_WITHOUT_MULTI_ERROR);
        return this.exec(ctx);
      case 'discard':
        if (!this.queuing) return errorPlan(DISCARD_WITHOUT_MULTI_ERROR);
        this.reset();
        return OK_PLAN;
      case 'watch':
        if (this.queuing) return errorPlan(WATCH_INSIDE_MULTI_ERROR);
        return this.watch(args.map((a) => a.slice()), ctx);
      case 'unwatch':
        // Inside MULTI it is queued (EXEC unwatches anyway); outside, it forgets every watched key.
        if (this.queuing) return this.enqueue({ reply: { type: 'simple', text: 'OK' }, plan: null }, 0, 0, ctx);
        this.watched.clear();
        return OK_PLAN;
      default:
        return errorPlan(`ERR unknown transaction command '${name}'`);
    }
  }

  /** Forget the queue, the error mark and the watched keys (after EXEC or DISCARD, as Redis). */
  private reset(): void {
    this.queuing = false;
    this.dirty = false;
    this.queued = [];
    this.queuedOps = 0;
    this.queuedBytes = TX_OP_OVERHEAD_BYTES;
    this.watched.clear();
  }

  private watch(keys: Uint8Array[], ctx: TranslateContext): Plan {
    const plan = requestsPlan([{ op: 'mget', keys }], (replies, out) => {
      this.watchReadsPending--;
      const reply = replies[0]!;
      if (!reply.ok) return writeErrReply(reply, out);
      if (this.watched.size + keys.length > ctx.limits.batchKeysMax) {
        return out.writeError(`ERR more than ${ctx.limits.batchKeysMax} keys watched (the limit); UNWATCH first`);
      }
      reply.items!.forEach((item, i) => {
        const id = latin1(keys[i]!);
        if (!this.watched.has(id)) this.watched.set(id, { key: keys[i]!, version: item.found ? item.version! : 0 });
      });
      out.writeSimpleString('OK');
    }, ctx);
    if (plan.kind === 'requests') this.watchReadsPending++;
    return plan;
  }

  private exec(ctx: TranslateContext): Plan {
    const queued = this.queued;
    const dirty = this.dirty;
    const watch = [...this.watched.values()];
    this.reset();
    if (dirty) return errorPlan(EXECABORT_ERROR);
    const ops: Request[] = [];
    for (const item of queued) if (item.plan !== null) ops.push(...item.plan.requests);
    return requestsPlan([{ op: 'tx', ops, watch }], (replies, out) => writeExecReply(queued, replies[0]!, out), ctx);
  }
}

/** EXEC's reply: an error for the whole, nil when a watched key changed, else one element per queued command. */
function writeExecReply(queued: readonly Queued[], reply: Reply, out: ReplyWriter): void {
  if (!reply.ok) return writeErrReply(reply, out);
  if (reply.found === false) return out.writeNullArray();
  const replies = reply.replies!;
  out.writeArrayHeader(queued.length);
  let at = 0;
  for (const item of queued) {
    if (item.plan === null) {
      out.writeValue(item.reply);
      continue;
    }
    const n = item.plan.requests.length;
    const mine = replies.slice(at, at + n);
    at += n;
    if (item.plan.finish(mine, out)) out.writeError(TWO_STEP_IN_MULTI_ERROR);
  }
}

/** The command's name in upper case, for an error text (names are ASCII). */
function commandNameOf(args: readonly Uint8Array[]): string {
  return latin1(args[0]!).toUpperCase();
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
