// Time-to-live commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL,
// PERSIST. Each is one request on the key's shard. Whether a time is already
// past is decided by the shard against its log entry's time, never here with
// the door's clock: every replica must judge it the same way.

import type { ExpireRequest } from '../protocol/ops.js';
import { TTL_MS_MAX } from '../protocol/validate.js';
import { isOption } from './command-args.js';
import {
  errorPlan, requestsPlan, writeErrReply, type CommandTable, type Finish, type Plan, type TranslateContext,
} from './plan.js';
import { expireTimeError, NOT_INTEGER_ERROR } from './resp-errors.js';
import { parseInt64Number } from './resp-numbers.js';

/** 1 if the key existed (and its TTL changed, or it was deleted), else 0. */
const finishFound: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  out.writeInteger(r.found ? 1 : 0);
};

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The absolute time sent for "already past" when the request carries no
 * usable time of its own (a non-positive relative TTL, or a timestamp at or
 * before the epoch): 1 ms after the epoch is before any entry's time, so the
 * shard deletes the key, and it passes validation (expiry times are positive).
 */
export const EXPIRE_AT_PAST_MS = 1;

/** Redis 7's conditional EXPIRE flags, which need the current TTL read and written in one step. */
const CONDITION_FLAGS = ['NX', 'XX', 'GT', 'LT'];

/**
 * EXPIRE key seconds / PEXPIRE key ms / EXPIREAT key unix-s / PEXPIREAT key unix-ms.
 * A time already past (a non-positive TTL, a past timestamp) deletes the key,
 * as Redis does, and still replies 1 if the key existed. Times that overflow
 * (beyond TTL_MS_MAX ms from the epoch in Piccolo) are "invalid expire time".
 * The NX / XX / GT / LT flags are not supported.
 */
function expireCommand(command: string, unitMs: 1 | 1000, absolute: boolean) {
  return (args: Uint8Array[], ctx: TranslateContext): Plan => {
    if (args.length > 3) {
      // Redis reads the flags before the time, so flag errors come first.
      const option = args[3]!;
      const flag = CONDITION_FLAGS.find((word) => isOption(option, word));
      if (flag) return errorPlan(`ERR the ${flag} option of ${command.toUpperCase()} is not supported by Piccolo`);
      return errorPlan(`ERR Unsupported option ${utf8Decoder.decode(option)}`);
    }
    const amount = parseInt64Number(args[2]!);
    if (amount === null) return errorPlan(NOT_INTEGER_ERROR);
    const ms = amount * unitMs;
    // +Infinity: a valid int64 too far in the future to represent; -Infinity is simply past.
    if (ms === Infinity) return errorPlan(expireTimeError(command));
    const key = args[1]!;
    // The door's clock only bounds a relative time (so entry time + TTL stays a safe integer).
    if ((absolute ? ms : ctx.nowMs + ms) > TTL_MS_MAX) return errorPlan(expireTimeError(command));
    // Relative times stay relative: the log makes them absolute with the entry's time.
    let request: ExpireRequest;
    if (absolute) request = { op: 'expire', key, expireAtMs: Math.max(ms, EXPIRE_AT_PAST_MS) };
    else request = ms > 0 ? { op: 'expire', key, ttlMs: ms } : { op: 'expire', key, expireAtMs: EXPIRE_AT_PAST_MS };
    return requestsPlan([request], finishFound, ctx);
  };
}

/** TTL rounds ms to the nearest second as Redis does; -1 (no expiry) and -2 (no key) pass through. */
function ttlCommand(unitMs: 1 | 1000) {
  const finish: Finish = (replies, out) => {
    const r = replies[0]!;
    if (!r.ok) return writeErrReply(r, out);
    const ms = r.integer ?? -2n;
    out.writeInteger(ms < 0n || unitMs === 1 ? ms : (ms + 500n) / 1000n);
  };
  return (args: Uint8Array[], ctx: TranslateContext): Plan => requestsPlan([{ op: 'ttl', key: args[1]! }], finish, ctx);
}

export const EXPIRY_COMMANDS: CommandTable = {
  expire: { arity: -3, translate: expireCommand('expire', 1000, false) },
  pexpire: { arity: -3, translate: expireCommand('pexpire', 1, false) },
  expireat: { arity: -3, translate: expireCommand('expireat', 1000, true) },
  pexpireat: { arity: -3, translate: expireCommand('pexpireat', 1, true) },
  ttl: { arity: 2, translate: ttlCommand(1000) },
  pttl: { arity: 2, translate: ttlCommand(1) },
  // An expire request with neither ttlMs nor expireAtMs clears the TTL; found says whether there was one.
  persist: { arity: 2, translate: (args, ctx) => requestsPlan([{ op: 'expire', key: args[1]! }], finishFound, ctx) },
};
