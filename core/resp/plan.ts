// What a RESP command turns into: the data the server acts on. translate()
// (commands.ts) makes a Plan from a command's arguments; the server carries
// it out and never needs to know what the command was.
//
// Order of effects for a RequestsPlan: the server runs every request (each on
// the shard of its key; see below), then calls finish() once with the replies
// in request order. finish() either writes the RESP reply into the writer, or
// writes nothing and returns a follow-up RequestsPlan, which the server runs
// the same way (MSETNX checks, then sets). Replies are written in command
// order per connection, as RESP requires; that ordering is the server's job.

import type { Limits } from '../limits.js';
import type { ErrReply, Reply, Request } from '../protocol/ops.js';
import { validateRequest } from '../protocol/validate.js';
import type { ReplyWriter, RespValue } from './reply-encoder.js';
import { errorText } from './resp-errors.js';

export interface TranslateContext {
  /**
   * Now, in ms since the epoch, from the server's clock (core has none). Used
   * only to refuse relative TTLs that would overflow; whether an expiry is in
   * the past is the shard's decision, against its log entry's time.
   */
  nowMs: number;
  limits: Limits;
}

/** Answer at once without touching any shard (errors, PING, ECHO, SELECT 0). */
export interface ReplyPlan {
  kind: 'reply';
  reply: RespValue;
}

/**
 * Run these requests, then call finish with their replies.
 *
 * Routing: a request with a key goes to that key's shard. `mget` and `mset`
 * may name keys of many shards: the server splits them by shard (keeping the
 * order of keys within each shard, so a repeated key's last value wins, as in
 * Redis) and merges the shard replies into one Reply for finish: mget's
 * `items` in the order of the request's keys; mset's `found` true only if
 * every shard's was; the first error if any shard failed. `count` and `flush`
 * go to every shard; their `integer`s are summed into one Reply.
 *
 * A server-side failure (overload, shutdown) may be passed to finish as that
 * request's ErrReply; finish turns every ErrReply into a RESP error.
 *
 * Every request has already passed validateRequest(ctx.limits).
 */
export interface RequestsPlan {
  kind: 'requests';
  requests: Request[];
  // void, not undefined: almost every finish returns nothing.
  finish(replies: readonly Reply[], out: ReplyWriter): RequestsPlan | void;
}

/**
 * A command about the connection or the whole node, that the server handles
 * itself (HELLO, AUTH, QUIT, CLIENT, COMMAND, CONFIG, INFO, KEYS, SCAN,
 * RANDOMKEY, RENAME, and the scripting families EVAL*, FCALL*, SCRIPT,
 * FUNCTION). Arity is already checked. `name` is lower case; `args`
 * are the arguments after the name.
 */
export interface ConnectionPlan {
  kind: 'connection';
  name: string;
  args: Uint8Array[];
}

export type Plan = ReplyPlan | RequestsPlan | ConnectionPlan;

export type Finish = RequestsPlan['finish'];

export function replyPlan(reply: RespValue): ReplyPlan {
  return { kind: 'reply', reply };
}

export function errorPlan(text: string): ReplyPlan {
  return { kind: 'reply', reply: { type: 'error', text } };
}

export const OK_PLAN: ReplyPlan = Object.freeze({ kind: 'reply', reply: Object.freeze({ type: 'simple', text: 'OK' }) });

/** A plan for these requests, or the error reply of the first that is out of limits. */
export function requestsPlan(requests: Request[], finish: Finish, ctx: TranslateContext): RequestsPlan | ReplyPlan {
  for (const request of requests) {
    const err = validateRequest(request, ctx.limits);
    if (err) return errorPlan(errorText(err));
  }
  return { kind: 'requests', requests, finish };
}

export function writeErrReply(err: ErrReply, out: ReplyWriter): void {
  out.writeError(errorText(err));
}

/** The first error among replies, if any. */
export function firstError(replies: readonly Reply[]): ErrReply | undefined {
  for (const reply of replies) if (!reply.ok) return reply;
  return undefined;
}

/** How to translate one command. */
export interface CommandSpec {
  /** Redis's arity: n > 0 means exactly n arguments counting the name; n < 0 means at least -n. */
  arity: number;
  /** Called only with an argument count that fits the arity. */
  translate(args: Uint8Array[], ctx: TranslateContext): Plan;
}

export type CommandTable = Readonly<Record<string, CommandSpec>>;
