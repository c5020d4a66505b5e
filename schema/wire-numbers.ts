// Which numbers the binary format can carry. The model (core/protocol/ops.ts)
// uses JS numbers for versions, TTLs and offsets and bigint for ids and incr
// deltas; the schema stores them as 64-bit (or 32-bit) integers. Encoders
// check with these before writing, decoders after reading.

import { WireEncodeError } from './wire-errors.js';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U32_MAX = 0xffff_ffff;

/** A JS number bound for a UInt64 field; throws when the schema cannot carry it. */
export function checkU64Number(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new WireEncodeError(`${field} must be a non-negative integer for the binary format, got ${value}`);
  }
  return value;
}

/**
 * A JS number bound for a UInt64 field where 0 means "not given" (ttlMs,
 * expireAtMs). 0 or less cannot be sent: it would silently mean "no TTL",
 * where the JSON format answers BAD_REQUEST.
 */
export function checkPositiveU64Number(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new WireEncodeError(`${field} must be a positive integer for the binary format, got ${value}`);
  }
  return value;
}

/** A JS number bound for an Int64 field; throws when the schema cannot carry it. */
export function checkI64Number(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new WireEncodeError(`${field} must be an integer for the binary format, got ${value}`);
  return value;
}

/** A JS number bound for a UInt32 field; throws when the schema cannot carry it. */
export function checkU32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new WireEncodeError(`${field} must be an integer from 0 to ${U32_MAX} for the binary format, got ${value}`);
  }
  return value;
}

export function checkU64(value: bigint, field: string): bigint {
  if (value < 0n || value > U64_MAX) throw new WireEncodeError(`${field} does not fit an unsigned 64-bit field`);
  return value;
}

export function checkI64(value: bigint, field: string): bigint {
  if (value < I64_MIN || value > I64_MAX) throw new WireEncodeError(`${field} does not fit a signed 64-bit field`);
  return value;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

/** The 64-bit integer as a JS number, or null when it is beyond 2^53 and would lose precision. */
export function safeNumber(value: bigint): number | null {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : null;
}
