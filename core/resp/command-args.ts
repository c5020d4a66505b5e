// Reading command arguments: option words and expiry times, with Redis's
// rules and error words.

import { TTL_MS_MAX } from '../protocol/validate.js';
import type { TranslateContext } from './plan.js';
import { expireTimeError, NOT_INTEGER_ERROR } from './resp-errors.js';
import { parseInt64Number } from './resp-numbers.js';

/** Whether arg is the ASCII word `upper` (written in upper case here), in any case. */
export function isOption(arg: Uint8Array, upper: string): boolean {
  if (arg.length !== upper.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i]!;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    if (c !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/** The expiry options of SET and GETEX: EX seconds, PX ms, EXAT unix-seconds, PXAT unix-ms. */
export type ExpiryUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';

export function expiryUnitOf(arg: Uint8Array): ExpiryUnit | null {
  if (isOption(arg, 'EX')) return 'EX';
  if (isOption(arg, 'PX')) return 'PX';
  if (isOption(arg, 'EXAT')) return 'EXAT';
  if (isOption(arg, 'PXAT')) return 'PXAT';
  return null;
}

/** Relative (the log adds its entry's time) or absolute expiry, as SetRequest and GetExRequest take it. */
export type Expiry = { ttlMs: number } | { expireAtMs: number };

/**
 * The expiry of SET / SETEX / PSETEX / GETEX, checked as Redis checks it: not
 * an integer -> "not an integer"; zero or negative -> "invalid expire time in
 * '<command>' command". Piccolo also refuses expiry beyond TTL_MS_MAX from the
 * epoch (about 285,000 years) with the same error, where Redis's bound is
 * int64 ms, so that expiry arithmetic stays in safe integers.
 */
export function parseExpiry(unit: ExpiryUnit, arg: Uint8Array, command: string, ctx: TranslateContext): Expiry | { error: string } {
  const amount = parseInt64Number(arg);
  if (amount === null) return { error: NOT_INTEGER_ERROR };
  if (amount <= 0) return { error: expireTimeError(command) };
  const ms = unit === 'EX' || unit === 'EXAT' ? amount * 1000 : amount;
  if (unit === 'EXAT' || unit === 'PXAT') {
    return ms > TTL_MS_MAX ? { error: expireTimeError(command) } : { expireAtMs: ms };
  }
  return ms > TTL_MS_MAX - ctx.nowMs ? { error: expireTimeError(command) } : { ttlMs: ms };
}
