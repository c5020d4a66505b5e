// The hash commands that walk a hash a piece at a time: HRANDFIELD (random
// fields, drawn from keys.random) and HSCAN (a cursor over the table's home
// buckets; a compact hash comes back whole with cursor 0, as Redis's
// listpack does).

import { INT64_MAX, INT64_MIN, parseInt64 } from '../../int64.js';
import { bytesValue, NIL, type DataValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import type { Random } from '../../random.js';
import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../resp/glob.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { CompactHash, hashAt, isErr } from './hash-read.js';
import { REPLY_ELEMENT_OVERHEAD_BYTES, ReplyBudget } from './hash-reply.js';
import type { HashTable } from './hash-table.js';

/** HSCAN's COUNT when none is given (Redis's). */
export const HSCAN_COUNT_DEFAULT = 10;
/** Buckets one HSCAN call visits at most per COUNT (Redis's maxiterations = count * 10), so a sparse table does not make a call long. */
const HSCAN_BUCKETS_PER_COUNT = 10;
/** HRANDFIELD with a positive count picks at random (instead of copying the hash and dropping fields) below size / this, as Redis does. */
const HRANDFIELD_SPARSE_FACTOR = 3;

const SYNTAX_ERROR = 'syntax error';
const NOT_AN_INTEGER = 'value is not an integer or out of range';
const textEncoder = new TextEncoder();

type Pair = [field: Uint8Array, value: Uint8Array];

/** One random pair (copies) of a non-empty hash. */
function randomPair(entries: CompactHash | HashTable, random: Random): Pair {
  let pair: Pair | null = null;
  if (entries instanceof CompactHash) {
    let i = random.int(0, entries.size - 1);
    entries.forEach((f, v) => {
      if (i-- === 0) pair = [f.slice(), v.slice()];
    });
  } else {
    entries.random(random, (f, v) => { pair = [f.slice(), v.slice()]; });
  }
  return pair!;
}

/** Every pair (copies), in the hash's order. */
function allPairs(entries: CompactHash | HashTable): Pair[] {
  const pairs: Pair[] = [];
  entries.forEach((f, v) => pairs.push([f.slice(), v.slice()]));
  return pairs;
}

/** `count` distinct pairs (count < size), in the hash's order when copied, in draw order when drawn. */
function distinctPairs(entries: CompactHash | HashTable, count: number, random: Random): Pair[] {
  if (entries instanceof CompactHash || count * HRANDFIELD_SPARSE_FACTOR > entries.size) {
    const pairs = allPairs(entries);
    while (pairs.length > count) pairs.splice(random.int(0, pairs.length - 1), 1);
    return pairs;
  }
  const seen = new Set<string>();
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const pair = randomPair(entries, random);
    const id = String.fromCharCode(...pair[0]);
    if (seen.has(id)) continue;
    seen.add(id);
    pairs.push(pair);
  }
  return pairs;
}

const hrandfield: DataCommand = {
  name: 'hrandfield', arity: -2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    // Redis's order: the count, then the other arguments, then the key.
    const count = args.length >= 2 ? parseInt64(args[1]!) : null;
    if (args.length >= 2 && count === null) return errReply('BAD_REQUEST', NOT_AN_INTEGER);
    if (count === INT64_MIN) return errReply('BAD_REQUEST', `value is out of range, value must between ${-INT64_MAX} and ${INT64_MAX}`);
    if (args.length > 3) return errReply('BAD_REQUEST', SYNTAX_ERROR);
    const withValues = args.length === 3;
    if (withValues && !equalsWord(args[2]!, 'withvalues')) return errReply('BAD_REQUEST', SYNTAX_ERROR);
    // Redis's bound: a negative count's doubled reply length must not overflow.
    if (withValues && count !== null && count < -(INT64_MAX / 2n)) return errReply('BAD_REQUEST', 'value is out of range');
    const at = hashAt(keys, args[0]!);
    if (isErr(at)) return at;
    const entries = at.entries;
    if (count === null) return { ok: true, data: entries === null ? NIL : bytesValue(randomPair(entries, keys.random)[0]) };
    if (entries === null || count === 0n) return { ok: true, data: { t: 'array', v: [] } };
    const budget = new ReplyBudget(keys.limits);
    let pairs: Pair[];
    if (count < 0n) {
      // Repeats allowed: draw until the count, or until the reply is over its bound.
      pairs = [];
      for (let n = 0n; n < -count; n++) {
        const pair = randomPair(entries, keys.random);
        if (!budget.add(pair[0].length + (withValues ? pair[1].length + REPLY_PAIR_EXTRA : 0))) {
          return budget.tooLarge('HRANDFIELD', 'ask for fewer fields');
        }
        pairs.push(pair);
      }
    } else {
      pairs = count >= BigInt(entries.size) ? allPairs(entries) : distinctPairs(entries, Number(count), keys.random);
      for (const [f, v] of pairs) {
        if (!budget.add(f.length + (withValues ? v.length + REPLY_PAIR_EXTRA : 0))) return budget.tooLarge('HRANDFIELD', 'ask for fewer fields');
      }
    }
    return { ok: true, data: pairsReply(pairs, withValues) };
  },
};

/** A value's own overhead beside its field's, for the reply bound. */
const REPLY_PAIR_EXTRA = 16;

/**
 * HRANDFIELD's fields alone, or its field/value pairs: RESP2 a flat array,
 * RESP3 an array of [field, value] pairs, as Redis 7 (a map would lose the
 * repeats a negative count may draw).
 */
function pairsReply(pairs: readonly Pair[], withValues: boolean): DataValue {
  const v: DataValue[] = [];
  for (const [f, value] of pairs) {
    v.push(bytesValue(f));
    if (withValues) v.push(bytesValue(value));
  }
  return { t: withValues ? 'pairs' : 'array', v };
}

interface ScanOptions { cursor: number; glob: Glob | null; count: number; noValues: boolean }

/** HSCAN's arguments after the key, or Redis's error for them. */
function scanOptions(args: readonly Bytes[], cursor: number): ScanOptions | Reply {
  const options: ScanOptions = { cursor, glob: null, count: HSCAN_COUNT_DEFAULT, noValues: false };
  for (let i = 2; i < args.length; i++) {
    const more = i + 1 < args.length;
    if (equalsWord(args[i]!, 'count') && more) {
      const count = parseInt64(args[++i]!);
      if (count === null) return errReply('BAD_REQUEST', NOT_AN_INTEGER);
      if (count < 1n) return errReply('BAD_REQUEST', SYNTAX_ERROR);
      options.count = count > 1_000_000_000n ? 1_000_000_000 : Number(count);
    } else if (equalsWord(args[i]!, 'match') && more) {
      const pattern = args[++i]!;
      if (pattern.length > GLOB_PATTERN_BYTES_MAX) {
        return errReply('BAD_REQUEST', `the MATCH pattern is ${pattern.length} bytes; the limit is ${GLOB_PATTERN_BYTES_MAX}`);
      }
      options.glob = new Glob(pattern);
    } else if (equalsWord(args[i]!, 'novalues')) {
      options.noValues = true;
    } else {
      return errReply('BAD_REQUEST', SYNTAX_ERROR);
    }
  }
  return options;
}

const hscan: DataCommand = {
  name: 'hscan', arity: -3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    // Redis's order: the cursor, then the key (a missing one answers an empty scan whatever the options), then the options.
    const start = parseCursor(args[1]!);
    if (start === null) return errReply('BAD_REQUEST', 'invalid cursor');
    const at = hashAt(keys, args[0]!);
    if (isErr(at)) return at;
    const entries = at.entries;
    if (entries === null) return scanReply(0, []);
    const options = scanOptions(args, start);
    if ('ok' in options) return options;
    const items: DataValue[] = [];
    const budget = new ReplyBudget(keys.limits);
    // One bucket's matching items, then whether they fit: whole buckets only, so the cursor stays exact.
    let bucket: DataValue[] = [];
    let bucketBytes = 0;
    let emitted = 0;
    const emit = (field: Uint8Array, value: Uint8Array): void => {
      emitted++;
      if (options.glob !== null && !options.glob.matches(field)) return;
      bucket.push(bytesValue(field.slice()));
      bucketBytes += field.length + REPLY_ELEMENT_OVERHEAD_BYTES;
      if (options.noValues) return;
      bucket.push(bytesValue(value.slice()));
      bucketBytes += value.length + REPLY_ELEMENT_OVERHEAD_BYTES;
    };
    let cursor = 0;
    if (entries instanceof CompactHash) {
      entries.forEach(emit);
      items.push(...bucket);
    } else {
      cursor = options.cursor;
      const bucketsMax = options.count * HSCAN_BUCKETS_PER_COUNT;
      for (let steps = 0; ;) {
        bucket = [];
        bucketBytes = 0;
        const next = entries.scanStep(cursor, emit);
        if (!budget.addBytes(bucketBytes)) {
          if (items.length === 0) return budget.tooLarge('HSCAN', 'one bucket of the hash holds more');
          break; // the page is full: the next call starts at this bucket again
        }
        items.push(...bucket);
        cursor = next;
        if (cursor === 0 || emitted >= options.count || ++steps >= bucketsMax) break;
      }
    }
    return scanReply(cursor, items);
  },
};

/** HSCAN's reply: the next cursor as text, then the page's items. */
function scanReply(cursor: number, items: DataValue[]): Reply {
  return { ok: true, data: { t: 'array', v: [bytesValue(textEncoder.encode(String(cursor))), { t: 'array', v: items }] } };
}

/**
 * A SCAN cursor as Redis reads it (strtoull: decimal, a leading minus wraps
 * around 2^64); the table's cursors are its low 32 bits.
 */
function parseCursor(bytes: Uint8Array): number | null {
  const negative = bytes[0] === 0x2d;
  const digits = negative ? bytes.subarray(1) : bytes;
  if (digits.length === 0 || digits.length > 20) return null;
  for (const b of digits) if (b < 0x30 || b > 0x39) return null;
  const value = BigInt(String.fromCharCode(...digits));
  if (value >= 1n << 64n) return null;
  return Number((negative ? -value : value) & 0xffff_ffffn);
}

/** Whether `bytes` spell `word` (lower case) in any case. */
function equalsWord(bytes: Uint8Array, word: string): boolean {
  if (bytes.length !== word.length) return false;
  for (let i = 0; i < word.length; i++) if ((bytes[i]! | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

export const HASH_WALK_COMMANDS: readonly DataCommand[] = [hrandfield, hscan];
