// Sorted-set arguments read as Redis reads them: scores (strtod's words,
// inf included, NaN refused), score ranges with `(` for exclusive ends, lex
// ranges (`[`, `(`, `-`, `+`), integers, option words; and Redis's error
// texts for each.

import { bytesToBinaryString } from '../../bytes.js';
import { parseInt64 } from '../../int64.js';
import { errReply, type Bytes, type ErrReply } from '../../protocol/ops.js';

export const NOT_FLOAT = 'value is not a valid float';
export const NOT_INTEGER = 'value is not an integer or out of range';
export const SYNTAX = 'syntax error';
export const SCORE_RANGE_NOT_FLOAT = 'min or max is not a float';
export const LEX_RANGE_INVALID = 'min or max not valid string range item';
export const SCORE_NAN = 'resulting score is not a number (NaN)';

/** Longest number text read as a float (Redis: MAX_LONG_DOUBLE_CHARS); longer is not a float. */
const FLOAT_TEXT_BYTES_MAX = 5 * 1024;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INFINITY = /^([-+]?)(inf|infinity)$/i;

export function badRequest(message: string): ErrReply {
  return errReply('BAD_REQUEST', message);
}

/**
 * A score as Redis's strtod reads it: decimal text, or inf / infinity with a
 * sign; null for anything else, NaN, or a value out of the double's range
 * (strtod's ERANGE: overflow, or underflow to zero). Hex floats, which
 * strtod also takes, are refused.
 */
export function parseScore(bytes: Bytes): number | null {
  if (bytes.length === 0 || bytes.length > FLOAT_TEXT_BYTES_MAX) return null;
  const text = bytesToBinaryString(bytes);
  const inf = INFINITY.exec(text);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  if (!DECIMAL.test(text)) return null;
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  if (value === 0 && /[1-9]/.test(text.replace(/[eE].*$/, ''))) return null;
  return value;
}

/** A signed 64-bit integer argument as a number (clamped to the safe range, which no count or index reaches), or null. */
export function parseInteger(bytes: Bytes): number | null {
  const v = parseInt64(bytes);
  if (v === null) return null;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(v > max ? max : v < -max ? -max : v);
}

/** An option word, compared case-insensitively with its lower-case spelling. */
export function isWord(bytes: Bytes, lower: string): boolean {
  if (bytes.length !== lower.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export interface ScoreRange { min: number; max: number; minExclusive: boolean; maxExclusive: boolean }

/** `min` and `max` of a BYSCORE range (`(` prefix = exclusive), or null (Redis: 'min or max is not a float'). */
export function parseScoreRange(min: Bytes, max: Bytes): ScoreRange | null {
  const lo = parseScoreBound(min);
  const hi = parseScoreBound(max);
  if (lo === null || hi === null) return null;
  return { min: lo.value, max: hi.value, minExclusive: lo.exclusive, maxExclusive: hi.exclusive };
}

function parseScoreBound(bytes: Bytes): { value: number; exclusive: boolean } | null {
  const exclusive = bytes.length > 0 && bytes[0] === 0x28; /* ( */
  const value = parseScore(exclusive ? bytes.subarray(1) : bytes);
  return value === null ? null : { value, exclusive };
}

export function scoreAboveMin(score: number, r: ScoreRange): boolean {
  return r.minExclusive ? score > r.min : score >= r.min;
}

export function scoreBelowMax(score: number, r: ScoreRange): boolean {
  return r.maxExclusive ? score < r.max : score <= r.max;
}

/** One end of a BYLEX range: -/+ are below/above every member. */
export type LexBound = { kind: 'min' } | { kind: 'max' } | { kind: 'member'; member: Bytes; exclusive: boolean };
export interface LexRange { min: LexBound; max: LexBound }

/** `min` and `max` of a BYLEX range, or null (Redis: 'min or max not valid string range item'). */
export function parseLexRange(min: Bytes, max: Bytes): LexRange | null {
  const lo = parseLexBound(min);
  const hi = parseLexBound(max);
  return lo === null || hi === null ? null : { min: lo, max: hi };
}

function parseLexBound(bytes: Bytes): LexBound | null {
  if (bytes.length === 1 && bytes[0] === 0x2d) return { kind: 'min' };
  if (bytes.length === 1 && bytes[0] === 0x2b) return { kind: 'max' };
  if (bytes.length > 0 && (bytes[0] === 0x5b || bytes[0] === 0x28)) {
    return { kind: 'member', member: bytes.subarray(1), exclusive: bytes[0] === 0x28 };
  }
  return null;
}
