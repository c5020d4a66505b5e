// SORT's BY and GET patterns: which slot a pattern's keys hash to (Redis
// Cluster's rule, so the refusal matches Redis's), and the value a pattern
// names for one element: the first `*` replaced by the element gives a key;
// `->field` after the `*` reads that field of a hash there, else the key's
// string value; `#` is the element itself. A key that is absent or of
// another type gives null, as in Redis.
//
// Pattern keys are not among the command's keys (they depend on the data),
// so routing never sees them; the slot rule is what keeps them on the
// sorted key's shard. They are read through the same KeyAccess at the same
// time as the sorted key: the read's time for SORT / SORT_RO, the entry's
// time in SORT ... STORE (where, as for every key a write touches, an
// expired one is removed first, identically on every replica).

import type { Bytes } from '../../protocol/ops.js';
import { crc16, SLOT_COUNT, slotOf } from '../../routing/slot-hash.js';
import { ValueType } from '../../store/value-type.js';
import { hashAt, isErr } from '../hash/hash-read.js';
import { ABSENT, type KeyAccess } from '../key-access.js';

const STAR = 0x2a;
const HASH_SIGN = 0x23;
const QUESTION = 0x3f;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DASH = 0x2d;
const GREATER = 0x3e;
/** patternSlot's answer when the pattern's keys may hash anywhere. */
const ANY_SLOT = -1;

export function hasStar(pattern: Bytes): boolean {
  return pattern.indexOf(STAR) >= 0;
}

/** `#`: GET's name for the element itself. */
export function isSelfPattern(pattern: Bytes): boolean {
  return pattern.length === 1 && pattern[0] === HASH_SIGN;
}

/**
 * The one slot every key the pattern can form hashes to, or ANY_SLOT. Redis
 * Cluster's reading of a key pattern: a `{tag}` closed before any `*`, `?`,
 * `[` or `\` fixes the slot; an empty `{}` means the whole text is hashed;
 * a wildcard or escape before a tag closes means any slot.
 */
function patternSlot(pattern: Bytes): number {
  let open = -1; // where the first '{' is; -2 once an empty "{}" was seen
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === STAR || c === QUESTION || c === OPEN_BRACKET || c === BACKSLASH) return ANY_SLOT;
    if (open === -1 && c === OPEN_BRACE) open = i;
    else if (open >= 0 && c === CLOSE_BRACE) {
      if (i === open + 1) open = -2;
      else return crc16(pattern, open + 1, i) & (SLOT_COUNT - 1);
    }
  }
  return crc16(pattern) & (SLOT_COUNT - 1);
}

/** Whether every key `pattern` forms lives in `key`'s slot (so on its shard). */
export function patternSharesSlot(pattern: Bytes, key: Bytes): boolean {
  return patternSlot(pattern) === slotOf(key);
}

/** The value `pattern` names for `element` (a copy), or null: absent, another type, or a pattern without `*`. */
export function lookupByPattern(keys: KeyAccess, pattern: Bytes, element: Bytes): Bytes | null {
  if (isSelfPattern(pattern)) return element;
  const star = pattern.indexOf(STAR);
  if (star < 0) return null;
  const arrow = arrowAfter(pattern, star + 1);
  // "->" with nothing after it is no field: it stays part of the key, as in Redis.
  const field = arrow >= 0 && arrow + 2 < pattern.length ? pattern.subarray(arrow + 2) : null;
  const suffixEnd = field === null ? pattern.length : arrow;
  const key = new Uint8Array(star + element.length + (suffixEnd - star - 1));
  key.set(pattern.subarray(0, star), 0);
  key.set(element, star);
  key.set(pattern.subarray(star + 1, suffixEnd), star + element.length);
  // A longer key cannot be stored, so there is nothing to find.
  if (key.length > keys.limits.keyBytesMax) return null;
  if (field !== null) {
    const hash = hashAt(keys, key);
    if (isErr(hash) || hash.entries === null) return null;
    return hash.entries.get(field)?.slice() ?? null;
  }
  const h = keys.find(key);
  if (h === ABSENT || keys.typeOf(h) !== ValueType.STRING) return null;
  return keys.bytesOf(h).slice();
}

/** Index of the first "->" at or after `from`, or -1. */
function arrowAfter(pattern: Bytes, from: number): number {
  for (let i = from; i + 1 < pattern.length; i++) if (pattern[i] === DASH && pattern[i + 1] === GREATER) return i;
  return -1;
}
