// ZADD (NX XX GT LT CH INCR), ZINCRBY and ZREM, with Redis's checks in
// Redis's order (options, pairs, scores; then the key's type) and its
// error texts.

import { doubleValue, intValue, NIL } from '../../protocol/data-value.js';
import type { Bytes, Reply } from '../../protocol/ops.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import { badRequest, isWord, NOT_FLOAT, parseScore, SCORE_NAN, SYNTAX } from './zset-args.js';
import { isErr, readZSet, writeZSet } from './zset-keys.js';
import { writeReply } from './zset-reply.js';
import type { SortedSet } from './sorted-set.js';

interface ZAddOptions { nx: boolean; xx: boolean; gt: boolean; lt: boolean; ch: boolean; incr: boolean }

/** What one ZADD element did: added, updated, left alone (a condition failed), or refused (NaN). */
type AddOutcome = 'added' | 'updated' | 'same' | 'nop' | 'nan';

function addOne(z: SortedSet, member: Bytes, score: number, o: ZAddOptions): { outcome: AddOutcome; score: number } {
  const current = z.scoreOf(member);
  if (current === undefined) {
    if (o.xx) return { outcome: 'nop', score };
    z.put(member, score);
    return { outcome: 'added', score };
  }
  if (o.nx) return { outcome: 'nop', score: current };
  const next = o.incr ? current + score : score;
  if (Number.isNaN(next)) return { outcome: 'nan', score: next };
  if ((o.lt && next >= current) || (o.gt && next <= current)) return { outcome: 'nop', score: current };
  if (next === current) return { outcome: 'same', score: next };
  z.put(member, next);
  return { outcome: 'updated', score: next };
}

function zadd(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const o: ZAddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: false };
  let i = 1;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (isWord(a, 'nx')) o.nx = true;
    else if (isWord(a, 'xx')) o.xx = true;
    else if (isWord(a, 'gt')) o.gt = true;
    else if (isWord(a, 'lt')) o.lt = true;
    else if (isWord(a, 'ch')) o.ch = true;
    else if (isWord(a, 'incr')) o.incr = true;
    else break;
  }
  const elements = args.length - i;
  if (elements === 0 || elements % 2 !== 0) return badRequest(SYNTAX);
  if (o.nx && o.xx) return badRequest('XX and NX options at the same time are not compatible');
  if ((o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt)) {
    return badRequest('GT, LT, and/or NX options at the same time are not compatible');
  }
  if (o.incr && elements > 2) return badRequest('INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = i; j < args.length; j += 2) {
    const s = parseScore(args[j]!);
    if (s === null) return badRequest(NOT_FLOAT);
    scores.push(s);
  }
  // INCR's NaN (inf + -inf) must be refused before anything changes: it is the only element.
  if (o.incr) {
    const z = readZSet(keys, args[0]!);
    if (isErr(z)) return z;
    const current = z?.scoreOf(args[i + 1]!);
    if (current !== undefined && !o.nx && Number.isNaN(current + scores[0]!)) return badRequest(SCORE_NAN);
  }
  let added = 0;
  let changed = 0;
  let last: { outcome: AddOutcome; score: number } = { outcome: 'nop', score: 0 };
  const w = writeZSet(keys, args[0]!, (z) => {
    for (let j = i, k = 0; j < args.length; j += 2, k++) {
      last = addOne(z, args[j + 1]!, scores[k]!, o);
      if (last.outcome === 'added') added++;
      if (last.outcome === 'added' || last.outcome === 'updated') changed++;
    }
  });
  if (isErr(w)) return w;
  if (o.incr) return writeReply(keys, w, last.outcome === 'nop' ? NIL : doubleValue(last.score));
  return writeReply(keys, w, intValue(o.ch ? changed : added));
}

function zincrby(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const by = parseScore(args[1]!);
  if (by === null) return badRequest(NOT_FLOAT);
  const member = args[2]!;
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  const next = (z?.scoreOf(member) ?? 0) + by;
  if (Number.isNaN(next)) return badRequest(SCORE_NAN);
  const w = writeZSet(keys, args[0]!, (set) => set.put(member, next));
  if (isErr(w)) return w;
  return writeReply(keys, w, doubleValue(next));
}

function zrem(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  // Nothing to remove: no write (a large set would otherwise be edited, and its version stamped, for nothing).
  if (z === null || !args.slice(1).some((m) => z.scoreOf(m) !== undefined)) return { ok: true, data: intValue(0) };
  let removed = 0;
  const w = writeZSet(keys, args[0]!, (set) => {
    for (let j = 1; j < args.length; j++) if (set.remove(args[j]!)) removed++;
  });
  if (isErr(w)) return w;
  return writeReply(keys, w, intValue(removed));
}

export const ZSET_WRITE_COMMANDS: readonly DataCommand[] = [
  { name: 'zadd', arity: -4, write: true, keys: FIRST_KEY, run: zadd },
  { name: 'zincrby', arity: 4, write: true, keys: FIRST_KEY, run: zincrby },
  { name: 'zrem', arity: -3, write: true, keys: FIRST_KEY, run: zrem },
];
