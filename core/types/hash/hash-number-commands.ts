// HINCRBY and HINCRBYFLOAT: a field read as a number, changed and written
// back as text, with Redis 7's error words (a bad increment, a field that is
// not a number, an overflow) and no change on any error.

import { INT64_MAX, INT64_MIN, parseInt64 } from '../../int64.js';
import { bytesValue, intValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import { formatFloat, parseFiniteFloat } from '../../shard/numbers.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import { hashAt, isErr } from './hash-read.js';
import { changeHash } from './hash-write.js';

const textEncoder = new TextEncoder();

/** Set args[1] of the hash at args[0] to what `next` makes of its current value (null: absent); `next` answers the new text or an error. */
function updateField(keys: KeyAccess, args: readonly Bytes[], next: (current: Uint8Array | null) => Bytes | Reply): Reply | Bytes {
  const at = hashAt(keys, args[0]!);
  if (isErr(at)) return at;
  const text = next(at.entries?.get(args[1]!) ?? null);
  if (!(text instanceof Uint8Array)) return text;
  changeHash(keys, args[0]!, at.h, (hash) => hash.set(args[1]!, text));
  return text;
}

const hincrby: DataCommand = {
  name: 'hincrby', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const delta = parseInt64(args[2]!);
    if (delta === null) return errReply('BAD_REQUEST', 'value is not an integer or out of range');
    let result = 0n;
    const done = updateField(keys, args, (current) => {
      const base = current === null ? 0n : parseInt64(current);
      if (base === null) return errReply('BAD_REQUEST', 'hash value is not an integer');
      result = base + delta;
      if (result < INT64_MIN || result > INT64_MAX) return errReply('BAD_REQUEST', 'increment or decrement would overflow');
      return textEncoder.encode(result.toString());
    });
    if (!(done instanceof Uint8Array)) return done;
    return { ok: true, data: intValue(result), version: keys.version };
  },
};

const hincrbyfloat: DataCommand = {
  name: 'hincrbyfloat', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const delta = parseFiniteFloat(args[2]!);
    if (delta === null) return errReply('BAD_REQUEST', isInfinityWord(args[2]!) ? 'value is NaN or Infinity' : 'value is not a valid float');
    const done = updateField(keys, args, (current) => {
      const base = current === null ? 0 : parseFiniteFloat(current);
      if (base === null) return errReply('BAD_REQUEST', 'hash value is not a float');
      const result = base + delta;
      if (!Number.isFinite(result)) return errReply('BAD_REQUEST', 'increment would produce NaN or Infinity');
      return textEncoder.encode(formatFloat(result));
    });
    if (!(done instanceof Uint8Array)) return done;
    return { ok: true, data: bytesValue(done), version: keys.version };
  },
};

/** "inf", "-Infinity" ...: text strtold reads as an infinity, which Redis refuses with its own words. */
function isInfinityWord(bytes: Uint8Array): boolean {
  return /^[-+]?inf(inity)?$/i.test(String.fromCharCode(...bytes.subarray(0, 10)));
}

export const HASH_NUMBER_COMMANDS: readonly DataCommand[] = [hincrby, hincrbyfloat];
