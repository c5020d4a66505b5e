// The text of RESP error replies. Where Redis has an error for the same
// situation we use its exact words, because client libraries and people match
// on them; Piccolo's own errors keep Redis's shape: an upper-case code word,
// then a message.

import type { ErrorName } from '../errors.js';
import type { ErrReply } from '../protocol/ops.js';
import { CROSS_SLOT_MESSAGE } from '../protocol/transaction.js';

export const SYNTAX_ERROR = 'ERR syntax error';
export const NOT_INTEGER_ERROR = 'ERR value is not an integer or out of range';
export const NOT_FLOAT_ERROR = 'ERR value is not a valid float';
export const INCR_OVERFLOW_ERROR = 'ERR increment or decrement would overflow';
export const DECR_OVERFLOW_ERROR = 'ERR decrement would overflow';
export const FLOAT_OVERFLOW_ERROR = 'ERR increment would produce NaN or Infinity';
export const WRONG_TYPE_ERROR = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const OFFSET_RANGE_ERROR = 'ERR offset is out of range';
export const DB_INDEX_RANGE_ERROR = 'ERR DB index is out of range';
export const DB_INDEX_INVALID_ERROR = 'ERR invalid DB index';
/** Redis's refusal of a write over maxmemory, word for word (clients match on `OOM`). */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Bytes of the command name and of its arguments that "unknown command" quotes, as Redis. */
const UNKNOWN_COMMAND_QUOTE_BYTES_MAX = 128;

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** `name` is the lower-case command name, as Redis prints it. */
export function arityError(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

export function expireTimeError(name: string): string {
  return `ERR invalid expire time in '${name}' command`;
}

export function stringTooLongError(bytesMax: number): string {
  return `ERR string exceeds maximum allowed size (${bytesMax} bytes)`;
}

export function batchTooLargeError(count: number, batchKeysMax: number): string {
  return `ERR batch names ${count} keys; the limit is ${batchKeysMax}`;
}

/**
 * Redis's reply to an unknown command, byte for byte for UTF-8 input: the
 * name as sent (not lower-cased), then each argument quoted and followed by a
 * space, until 128 bytes of arguments are quoted.
 */
export function unknownCommandError(args: readonly Uint8Array[]): string {
  let quoted = '';
  let quotedBytes = 0;
  for (let i = 1; i < args.length && quotedBytes < UNKNOWN_COMMAND_QUOTE_BYTES_MAX; i++) {
    const part = args[i]!.subarray(0, UNKNOWN_COMMAND_QUOTE_BYTES_MAX - quotedBytes);
    quoted += `'${utf8Decoder.decode(part)}' `;
    quotedBytes += part.length + 3;
  }
  const name = utf8Decoder.decode(args[0]!.subarray(0, UNKNOWN_COMMAND_QUOTE_BYTES_MAX));
  return `ERR unknown command '${name}', with args beginning with: ${quoted}`;
}

/**
 * The code word for each core error. ERR unless a client would want to act
 * on it differently: retry elsewhere or later (OVERLOADED, SHUTTINGDOWN,
 * TOOMANYCONNECTIONS), reread and retry (VERSIONMISMATCH).
 */
const CODE_WORD: Readonly<Record<ErrorName, string>> = Object.freeze({
  BAD_FRAME: 'ERR',
  UNKNOWN_OP: 'ERR',
  BAD_REQUEST: 'ERR',
  KEY_TOO_LONG: 'ERR',
  VALUE_TOO_LARGE: 'ERR',
  WRONG_TYPE: 'WRONGTYPE',
  OVERFLOW: 'ERR',
  VERSION_MISMATCH: 'VERSIONMISMATCH',
  KEY_EXISTS: 'ERR',
  NOT_FOUND: 'ERR',
  OVERLOADED: 'OVERLOADED',
  FRAME_TOO_LARGE: 'ERR',
  SHUTTING_DOWN: 'SHUTTINGDOWN',
  INTERNAL: 'ERR',
  TOO_MANY_CONNECTIONS: 'TOOMANYCONNECTIONS',
  LIMIT_EXCEEDED: 'ERR',
  UNAUTHORIZED: 'NOAUTH',
  FORBIDDEN_ORIGIN: 'ERR',
  METHOD_NOT_ALLOWED: 'ERR',
  NOT_LEADER: 'NOTLEADER',
  INDETERMINATE: 'INDETERMINATE',
  OUT_OF_MEMORY: 'OOM',
  CROSS_SLOT: 'CROSSSLOT',
  UNAVAILABLE: 'TRYAGAIN',
  COMPACTED: 'COMPACTED',
});

/**
 * The RESP error text for a core error reply, when the command has no more
 * specific Redis wording (INCR's "not an integer" is chosen by its command).
 */
export function errorText(err: ErrReply): string {
  switch (err.code) {
    case 'VERSION_MISMATCH': return `VERSIONMISMATCH current version is ${err.currentVersion ?? 0}`;
    case 'WRONG_TYPE': return WRONG_TYPE_ERROR;
    case 'OUT_OF_MEMORY': return OOM_ERROR;
    // Redis Cluster's exact words: cluster clients match on them.
    case 'CROSS_SLOT': return `CROSSSLOT ${CROSS_SLOT_MESSAGE}`;
    // Redis Cluster's words, which cluster clients act on: MOVED to the leader, or TRYAGAIN while none is known.
    case 'NOT_LEADER':
      if (err.redirect === undefined) break;
      // A keyless request (slot -1) has no slot to move: a client could not follow MOVED -1, and retrying is right.
      return err.redirect.resp !== null && err.redirect.slot >= 0 ? `MOVED ${err.redirect.slot} ${err.redirect.resp}` : `TRYAGAIN ${err.message}`;
    default: break;
  }
  return `${CODE_WORD[err.code]} ${err.message}`;
}
