// Reading list commands' arguments with Redis's rules and error words (the
// RESP door prints them after "ERR"), and the reply-size bound of a range.

import { errReply, type Bytes, type ErrReply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { parseFloatArg, parseInt64Number } from '../../resp/resp-numbers.js';
import type { Limits } from '../../limits.js';
import { readElement } from './list-element.js';
import type { QuickList } from './quick-list.js';

export const NOT_INTEGER_MESSAGE = 'value is not an integer or out of range';
export const SYNTAX_ERROR_MESSAGE = 'syntax error';
export const MUST_BE_POSITIVE_MESSAGE = 'value is out of range, must be positive';
export const TIMEOUT_NOT_FLOAT_MESSAGE = 'timeout is not a float or out of range';
export const TIMEOUT_NEGATIVE_MESSAGE = 'timeout is negative';
export const TIMEOUT_RANGE_MESSAGE = 'timeout is out of range';

/**
 * Longest blocking timeout accepted: Redis refuses one that overflows its
 * clock; ten years is past any real wait and keeps deadlines exact in a double.
 */
export const BLOCKING_TIMEOUT_MS_MAX = 10 * 365 * 24 * 3600 * 1000;

/** Fixed bytes of an array reply's header (core/protocol/data-value.ts counts the same). */
const REPLY_ITEM_OVERHEAD_BYTES = 16;

export function badRequest(message: string): ErrReply {
  return errReply('BAD_REQUEST', message);
}

/** A signed 64-bit integer argument (a huge valid one as ±Infinity), or null. */
export function integerArg(arg: Bytes): number | null {
  return parseInt64Number(arg);
}

/** LEFT / RIGHT: whether it names the tail (RIGHT), or null. */
export function tailSideArg(arg: Bytes): boolean | null {
  if (isOption(arg, 'LEFT')) return false;
  if (isOption(arg, 'RIGHT')) return true;
  return null;
}

/** A blocking command's timeout in seconds (a float; 0 = forever) as ms, or Redis's error. */
export function blockingTimeoutMs(arg: Bytes): number | ErrReply {
  const seconds = parseFloatArg(arg);
  if (seconds === null || Number.isNaN(seconds)) return badRequest(TIMEOUT_NOT_FLOAT_MESSAGE);
  const ms = Math.trunc(seconds * 1000);
  if (ms < 0) return badRequest(TIMEOUT_NEGATIVE_MESSAGE);
  if (ms > BLOCKING_TIMEOUT_MS_MAX) return badRequest(TIMEOUT_RANGE_MESSAGE);
  return ms;
}

/** Index `i` of a list of `length` counted from the end when negative, as Redis's LINDEX / LSET. */
export function absoluteIndex(i: number, length: number): number {
  return i < 0 ? length + i : i;
}

/**
 * Elements [start, stop] of `list` (valid bounds), or LIMIT_EXCEEDED when
 * the reply would not fit one frame: a range reply is refused whole rather
 * than cut, since Redis has no partial LRANGE.
 */
export function rangeOrLimit(list: QuickList, start: number, stop: number, limits: Limits): Uint8Array[] | ErrReply {
  const out: Uint8Array[] = [];
  let bytes = REPLY_ITEM_OVERHEAD_BYTES;
  let over = false;
  list.forEachFrom(start, (buf, off, _end, index) => {
    const v = readElement(buf, off);
    bytes += REPLY_ITEM_OVERHEAD_BYTES + v.length;
    if (bytes > limits.frameBytesMax) {
      over = true;
      return false;
    }
    out.push(v);
    return index < stop;
  });
  if (over) return replyTooLarge(limits);
  return out;
}

export function replyTooLarge(limits: Limits): ErrReply {
  return errReply('LIMIT_EXCEEDED', `the reply would be over ${limits.frameBytesMax} bytes (one frame): ask for fewer elements`);
}
