// Taking members off a sorted set's ends (ZPOPMIN, ZPOPMAX, ZMPOP), picking
// at random (ZRANDMEMBER: a read, drawing from keys.random) and iterating
// (ZSCAN). BZPOPMIN, BZPOPMAX and BZMPOP run here as their non-blocking
// forms (nilArray when every set is empty); the RESP door parks them
// (core/resp/blocking-calls.ts), as it does BLPOP.

import { utf8 } from '../../bytes.js';
import { arrayValue, bytesValue, dataValueBytes, NIL, NIL_ARRAY, type DataValue } from '../../protocol/data-value.js';
import type { Bytes, Reply } from '../../protocol/ops.js';
import { Glob, GLOB_PATTERN_BYTES_MAX } from '../../resp/glob.js';
import { FIRST_KEY, keysAt, type DataCommand } from '../data-command.js';
import { blockingTimeoutMs } from '../list/list-args.js';
import type { KeyAccess } from '../key-access.js';
import { badRequest, isWord, NOT_INTEGER, parseInteger, SYNTAX } from './zset-args.js';
import { isErr, readZSet, writeZSet } from './zset-keys.js';
import { ZSetLarge } from './zset-large.js';
import { tooLarge, writeReply, ZReply } from './zset-reply.js';
import type { SortedSet } from './sorted-set.js';

const COUNT_NOT_POSITIVE = 'value is out of range, must be positive';
/** ZSCAN's default COUNT (Redis's). */
const ZSCAN_COUNT_DEFAULT = 10;
/** Index buckets a ZSCAN call may visit per member asked for (Redis: 10), so a sparse MATCH still returns in bounded time. */
const ZSCAN_BUCKETS_PER_COUNT = 10;

/** Pop up to `count` members from the low (`max` false) or high end: collected, then removed. */
function popEnd(z: SortedSet, count: number, max: boolean): { members: Bytes[]; scores: number[] } {
  const members: Bytes[] = [];
  const scores: number[] = [];
  const n = Math.min(count, z.size);
  if (n > 0) {
    z.each(max ? z.size - n : 0, max ? z.size - 1 : n - 1, max, (m, s) => {
      members.push(m);
      scores.push(s);
    });
  }
  return { members, scores };
}

function zpop(max: boolean) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    if (args.length > 2) return badRequest(SYNTAX);
    let count = 1;
    if (args.length === 2) {
      const c = parseInteger(args[1]!);
      if (c === null || c < 0) return badRequest(COUNT_NOT_POSITIVE);
      count = c;
    }
    const z = readZSet(keys, args[0]!);
    if (isErr(z)) return z;
    if (z === null || count === 0) return { ok: true, data: arrayValue([]) };
    const popped = popEnd(z, count, max);
    // With a count, pairs (nested in RESP3); without, one flat (member, score), as Redis 7.
    const reply = new ZReply(keys.limits.frameBytesMax, true);
    for (let i = 0; i < popped.members.length; i++) reply.add(popped.members[i]!, popped.scores[i]!);
    if (reply.over) return tooLarge(keys.limits.frameBytesMax);
    const data = args.length === 2 ? reply.data() : arrayValue(reply.items);
    const w = writeZSet(keys, args[0]!, (set) => {
      for (const m of popped.members) set.remove(m);
    });
    if (isErr(w)) return w;
    return writeReply(keys, w, data);
  };
}

/** ZMPOP's keys: numkeys, then that many keys; or Redis's error for a bad numkeys. */
function zmpopKeys(args: readonly Bytes[]): Bytes[] | string {
  const n = parseInteger(args[0]!);
  if (n === null || n < 1) return 'numkeys should be greater than 0';
  if (1 + n >= args.length) return SYNTAX;
  return args.slice(1, 1 + n);
}

function zmpop(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const names = zmpopKeys(args);
  if (typeof names === 'string') return badRequest(names);
  const whereAt = 1 + names.length;
  const where = args[whereAt]!;
  if (!isWord(where, 'min') && !isWord(where, 'max')) return badRequest(SYNTAX);
  let count = -1;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count === -1 && isWord(args[j]!, 'count') && j + 1 < args.length) {
      const c = parseInteger(args[++j]!);
      if (c === null || c < 1) return badRequest('count should be greater than 0');
      count = c;
    } else {
      return badRequest(SYNTAX);
    }
  }
  if (count === -1) count = 1;
  for (const key of names) {
    const z = readZSet(keys, key);
    if (isErr(z)) return z;
    if (z === null) continue;
    const popped = popEnd(z, count, isWord(where, 'max'));
    // Redis nests each (member, score) pair here, in RESP2 too.
    const pairs: DataValue[] = popped.members.map((m, i) => arrayValue([bytesValue(m), { t: 'double', v: popped.scores[i]! }]));
    const data = arrayValue([bytesValue(key), arrayValue(pairs)]);
    if (dataValueBytes(data) > keys.limits.frameBytesMax) return tooLarge(keys.limits.frameBytesMax);
    const w = writeZSet(keys, key, (set) => {
      for (const m of popped.members) set.remove(m);
    });
    if (isErr(w)) return w;
    return writeReply(keys, w, data);
  }
  return { ok: true, data: NIL_ARRAY };
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout without blocking: [key, member, score] from the first non-empty set, else nilArray. */
function bzpop(max: boolean) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    const timeout = blockingTimeoutMs(args[args.length - 1]!);
    if (typeof timeout !== 'number') return timeout;
    for (let i = 0; i < args.length - 1; i++) {
      const key = args[i]!;
      const z = readZSet(keys, key);
      if (isErr(z)) return z;
      if (z === null) continue;
      const popped = popEnd(z, 1, max);
      const data = arrayValue([bytesValue(key), bytesValue(popped.members[0]!), { t: 'double', v: popped.scores[0]! }]);
      const w = writeZSet(keys, key, (set) => set.remove(popped.members[0]!));
      if (isErr(w)) return w;
      return writeReply(keys, w, data);
    }
    return { ok: true, data: NIL_ARRAY };
  };
}

/** BZMPOP timeout numkeys key ... MIN|MAX [COUNT n] without blocking: ZMPOP after the timeout. */
function bzmpop(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const timeout = blockingTimeoutMs(args[0]!);
  if (typeof timeout !== 'number') return timeout;
  return zmpop(keys, args.slice(1));
}

/** The member at `rank`. */
function at(z: SortedSet, rank: number): { member: Bytes; score: number } {
  let found: { member: Bytes; score: number } = { member: new Uint8Array(0), score: 0 };
  z.each(rank, rank, false, (member, score) => {
    found = { member, score };
  });
  return found;
}

function zrandmember(keys: KeyAccess, args: readonly Bytes[]): Reply {
  if (args.length > 3) return badRequest(SYNTAX);
  let count: number | null = null;
  if (args.length >= 2) {
    count = parseInteger(args[1]!);
    if (count === null) return badRequest(NOT_INTEGER);
  }
  if (args.length === 3 && !isWord(args[2]!, 'withscores')) return badRequest(SYNTAX);
  const withScores = args.length === 3;
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  if (count === null) return { ok: true, data: z === null ? NIL : bytesValue(at(z, keys.random.int(0, z.size - 1)).member) };
  const reply = new ZReply(keys.limits.frameBytesMax, withScores);
  if (z === null || count === 0) return reply.reply();
  const size = z.size;
  if (count < 0) {
    // With repeats: |count| independent draws.
    for (let i = 0; i < -count && !reply.over; i++) {
      const e = at(z, keys.random.int(0, size - 1));
      reply.add(e.member, e.score);
    }
  } else if (count >= size) {
    z.each(0, size - 1, false, (m, s) => reply.add(m, s));
  } else {
    // Distinct: a partial Fisher-Yates shuffle over ranks, the swaps kept in a map (O(count), not O(size)).
    const swapped = new Map<number, number>();
    for (let i = 0; i < count && !reply.over; i++) {
      const j = keys.random.int(i, size - 1);
      const rank = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      const e = at(z, rank);
      reply.add(e.member, e.score);
    }
  }
  return reply.reply();
}

/** A score as text, as the RESP door writes a double (ZSCAN sends scores as strings). */
function scoreText(score: number): Bytes {
  return utf8(score === Infinity ? 'inf' : score === -Infinity ? '-inf' : String(score));
}

function zscan(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const cursor = parseInteger(args[1]!);
  if (cursor === null || cursor < 0 || cursor > 0xffffffff) return badRequest('invalid cursor');
  let glob: Glob | null = null;
  let count = ZSCAN_COUNT_DEFAULT;
  for (let j = 2; j < args.length; j += 2) {
    if (j + 1 >= args.length) return badRequest(SYNTAX);
    const value = args[j + 1]!;
    if (isWord(args[j]!, 'match')) {
      if (value.length > GLOB_PATTERN_BYTES_MAX) return badRequest(`pattern is longer than ${GLOB_PATTERN_BYTES_MAX} bytes`);
      glob = new Glob(value);
    } else if (isWord(args[j]!, 'count')) {
      const c = parseInteger(value);
      if (c === null) return badRequest(NOT_INTEGER);
      if (c < 1) return badRequest(SYNTAX);
      count = c;
    } else {
      return badRequest(SYNTAX);
    }
  }
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  const items: DataValue[] = [];
  let bytes = 0;
  const budget = keys.limits.frameBytesMax / 2;
  const emit = (m: Bytes, s: number): void => {
    if (glob !== null && !glob.matches(m)) return;
    const member = bytesValue(m);
    const score = bytesValue(scoreText(s));
    bytes += dataValueBytes(member) + dataValueBytes(score);
    items.push(member, score);
  };
  let next = 0;
  if (z instanceof ZSetLarge) {
    // A page stops between buckets: at COUNT members, at half a frame, or after COUNT * 10 buckets.
    next = cursor;
    for (let buckets = 0; buckets < count * ZSCAN_BUCKETS_PER_COUNT; buckets++) {
      next = z.scanStep(next, emit);
      if (next === 0 || items.length / 2 >= count || bytes >= budget) break;
    }
  } else if (z !== null) {
    // A compact set comes whole in one page, as Redis's listpack does.
    z.each(0, z.size - 1, false, emit);
  }
  return { ok: true, data: arrayValue([bytesValue(utf8(String(next))), arrayValue(items)]) };
}

export const ZSET_POP_COMMANDS: readonly DataCommand[] = [
  { name: 'zpopmin', arity: -2, write: true, keys: FIRST_KEY, run: zpop(false) },
  { name: 'zpopmax', arity: -2, write: true, keys: FIRST_KEY, run: zpop(true) },
  { name: 'zmpop', arity: -4, write: true, keys: zmpopKeys, run: zmpop },
  { name: 'bzpopmin', arity: -3, write: true, keys: keysAt(0, -2, 1), run: bzpop(false) },
  { name: 'bzpopmax', arity: -3, write: true, keys: keysAt(0, -2, 1), run: bzpop(true) },
  { name: 'bzmpop', arity: -5, write: true, keys: (args) => zmpopKeys(args.slice(1)), run: bzmpop },
  { name: 'zrandmember', arity: -2, write: false, keys: FIRST_KEY, run: zrandmember },
  { name: 'zscan', arity: -3, write: false, keys: FIRST_KEY, run: zscan },
];
