// Ranges of a sorted set: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and
// ZRANGESTORE, the legacy ZRANGEBYSCORE / ZREVRANGEBYSCORE / ZRANGEBYLEX /
// ZREVRANGEBYLEX / ZREVRANGE (ZRANGE with some options fixed, as Redis
// implements them), and ZREMRANGEBYRANK / BYSCORE / BYLEX. Options are read
// with Redis's loop, so the same inputs get the same errors.

import { intValue } from '../../protocol/data-value.js';
import type { Bytes, ErrReply, Reply } from '../../protocol/ops.js';
import { FIRST_KEY, keysAt, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import {
  badRequest, isWord, LEX_RANGE_INVALID, NOT_INTEGER, parseInteger, parseLexRange, parseScoreRange,
  SCORE_RANGE_NOT_FLOAT, SYNTAX, type LexRange, type ScoreRange,
} from './zset-args.js';
import { isErr, readZSet, storeZSet, writeZSet } from './zset-keys.js';
import { writeReply, ZReply } from './zset-reply.js';
import { eachInSpan, EMPTY_SPAN, lexSpan, limitSpan, rankSpan, scoreSpan, type RankSpan } from './zset-span.js';
import type { SortedSet } from './sorted-set.js';

type RangeKind = 'rank' | 'score' | 'lex';

/** A parsed range request, ready to resolve against a set. */
interface RangeQuery {
  reverse: boolean;
  withScores: boolean;
  offset: number;
  /** -1: no LIMIT. */
  count: number;
  kind: RangeKind;
  start: number;
  stop: number;
  score: ScoreRange | null;
  lex: LexRange | null;
}

/** What a legacy command fixes: its kind and direction (then REV, BYSCORE, BYLEX are syntax errors). */
interface Preset { kind?: RangeKind; reverse?: boolean }

/** The range at args[at], args[at + 1] with options after them; `store` refuses WITHSCORES (ZRANGESTORE). */
function parseRange(args: readonly Bytes[], at: number, preset: Preset, store: boolean): RangeQuery | ErrReply {
  let reverse = preset.reverse;
  let kind = preset.kind;
  let withScores = false;
  let offset = 0;
  let count = -1;
  let limited = false;
  for (let j = at + 2; j < args.length; j++) {
    const a = args[j]!;
    const left = args.length - j - 1;
    if (!store && isWord(a, 'withscores')) withScores = true;
    else if (isWord(a, 'limit') && left >= 2) {
      const o = parseInteger(args[j + 1]!);
      const c = parseInteger(args[j + 2]!);
      if (o === null || c === null) return badRequest(NOT_INTEGER);
      offset = o;
      count = c;
      limited = true;
      j += 2;
    } else if (reverse === undefined && isWord(a, 'rev')) reverse = true;
    else if (kind === undefined && isWord(a, 'bylex')) kind = 'lex';
    else if (kind === undefined && isWord(a, 'byscore')) kind = 'score';
    else return badRequest(SYNTAX);
  }
  reverse ??= false;
  kind ??= 'rank';
  if (limited && kind === 'rank') return badRequest('syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withScores && kind === 'lex') return badRequest('syntax error, WITHSCORES not supported in combination with BYLEX');
  // REV with BYSCORE or BYLEX takes the range as max, min.
  const [lo, hi] = reverse && kind !== 'rank' ? [args[at + 1]!, args[at]!] : [args[at]!, args[at + 1]!];
  const q: RangeQuery = { reverse, withScores, offset, count, kind, start: 0, stop: -1, score: null, lex: null };
  if (kind === 'rank') {
    const start = parseInteger(lo);
    const stop = parseInteger(hi);
    if (start === null || stop === null) return badRequest(NOT_INTEGER);
    q.start = start;
    q.stop = stop;
  } else if (kind === 'score') {
    q.score = parseScoreRange(lo, hi);
    if (q.score === null) return badRequest(SCORE_RANGE_NOT_FLOAT);
  } else {
    q.lex = parseLexRange(lo, hi);
    if (q.lex === null) return badRequest(LEX_RANGE_INVALID);
  }
  return q;
}

function resolve(z: SortedSet | null, q: RangeQuery): RankSpan {
  if (z === null) return EMPTY_SPAN;
  if (q.kind === 'rank') return rankSpan(z.size, q.start, q.stop, q.reverse);
  const whole = q.kind === 'score' ? scoreSpan(z, q.score!, q.reverse) : lexSpan(z, q.lex!, q.reverse);
  return q.count < 0 && q.offset === 0 ? whole : limitSpan(whole, q.offset, q.count);
}

function zrange(preset: Preset) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    const q = parseRange(args, 1, preset, false);
    if (isErr(q)) return q;
    const z = readZSet(keys, args[0]!);
    if (isErr(z)) return z;
    const reply = new ZReply(keys.limits.frameBytesMax, q.withScores);
    if (z !== null) eachInSpan(z, resolve(z, q), (m, s) => reply.add(m, s));
    return reply.reply();
  };
}

function zrangestore(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const q = parseRange(args, 2, {}, true);
  if (isErr(q)) return q;
  const z = readZSet(keys, args[1]!);
  if (isErr(z)) return z;
  const members: Bytes[] = [];
  const scores: number[] = [];
  if (z !== null) {
    // Stored in the set's order whatever the direction: collect forward.
    const span = resolve(z, q);
    eachInSpan(z, { ...span, reverse: false }, (m, s) => {
      members.push(m);
      scores.push(s);
    });
  }
  const wrote = storeZSet(keys, args[0]!, members, scores);
  return writeReply(keys, { result: null, wrote }, intValue(members.length));
}

/** ZREMRANGEBY*: the span a command's arguments name, or its error. */
type SpanOf = (z: SortedSet) => RankSpan;

function zremrange(parse: (a: Bytes, b: Bytes) => SpanOf | ErrReply) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    const spanOf = parse(args[1]!, args[2]!);
    if (isErr(spanOf)) return spanOf;
    const z = readZSet(keys, args[0]!);
    if (isErr(z)) return z;
    if (z === null) return { ok: true, data: intValue(0) };
    const doomed: Bytes[] = [];
    eachInSpan(z, spanOf(z), (m) => {
      doomed.push(m);
    });
    if (doomed.length === 0) return { ok: true, data: intValue(0) };
    const w = writeZSet(keys, args[0]!, (set) => {
      for (const m of doomed) set.remove(m);
    });
    if (isErr(w)) return w;
    return writeReply(keys, w, intValue(doomed.length));
  };
}

const byRank = (a: Bytes, b: Bytes): SpanOf | ErrReply => {
  const start = parseInteger(a);
  const stop = parseInteger(b);
  if (start === null || stop === null) return badRequest(NOT_INTEGER);
  return (z) => rankSpan(z.size, start, stop, false);
};

const byScore = (a: Bytes, b: Bytes): SpanOf | ErrReply => {
  const r = parseScoreRange(a, b);
  return r === null ? badRequest(SCORE_RANGE_NOT_FLOAT) : (z) => scoreSpan(z, r, false);
};

const byLex = (a: Bytes, b: Bytes): SpanOf | ErrReply => {
  const r = parseLexRange(a, b);
  return r === null ? badRequest(LEX_RANGE_INVALID) : (z) => lexSpan(z, r, false);
};

export const ZSET_RANGE_COMMANDS: readonly DataCommand[] = [
  { name: 'zrange', arity: -4, write: false, keys: FIRST_KEY, run: zrange({}) },
  { name: 'zrangestore', arity: -5, write: true, keys: keysAt(0, 1, 1), run: zrangestore },
  { name: 'zrangebyscore', arity: -4, write: false, keys: FIRST_KEY, run: zrange({ kind: 'score', reverse: false }) },
  { name: 'zrevrangebyscore', arity: -4, write: false, keys: FIRST_KEY, run: zrange({ kind: 'score', reverse: true }) },
  { name: 'zrangebylex', arity: -4, write: false, keys: FIRST_KEY, run: zrange({ kind: 'lex', reverse: false }) },
  { name: 'zrevrangebylex', arity: -4, write: false, keys: FIRST_KEY, run: zrange({ kind: 'lex', reverse: true }) },
  { name: 'zrevrange', arity: -4, write: false, keys: FIRST_KEY, run: zrange({ kind: 'rank', reverse: true }) },
  { name: 'zremrangebyrank', arity: 4, write: true, keys: FIRST_KEY, run: zremrange(byRank) },
  { name: 'zremrangebyscore', arity: 4, write: true, keys: FIRST_KEY, run: zremrange(byScore) },
  { name: 'zremrangebylex', arity: 4, write: true, keys: FIRST_KEY, run: zremrange(byLex) },
];

