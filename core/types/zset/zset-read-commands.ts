// The sorted-set commands that look one member or count: ZCARD, ZSCORE,
// ZMSCORE, ZRANK and ZREVRANK (WITHSCORE), ZCOUNT, ZLEXCOUNT.

import { arrayValue, doubleValue, intValue, NIL, NIL_ARRAY, type DataValue } from '../../protocol/data-value.js';
import type { Bytes, Reply } from '../../protocol/ops.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import { badRequest, isWord, LEX_RANGE_INVALID, parseLexRange, parseScoreRange, SCORE_RANGE_NOT_FLOAT, SYNTAX } from './zset-args.js';
import { isErr, readZSet } from './zset-keys.js';
import { lexSpan, scoreSpan, spanLength } from './zset-span.js';

function ok(data: DataValue): Reply {
  return { ok: true, data };
}

function zcard(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  return ok(intValue(z?.size ?? 0));
}

function zscore(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  const score = z?.scoreOf(args[1]!);
  return ok(score === undefined ? NIL : doubleValue(score));
}

function zmscore(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  return ok(arrayValue(args.slice(1).map((m) => {
    const score = z?.scoreOf(m);
    return score === undefined ? NIL : doubleValue(score);
  })));
}

function zrank(reverse: boolean) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    if (args.length > 3 || (args.length === 3 && !isWord(args[2]!, 'withscore'))) return badRequest(SYNTAX);
    const withScore = args.length === 3;
    const z = readZSet(keys, args[0]!);
    if (isErr(z)) return z;
    const rank = z === null ? -1 : z.rankOf(args[1]!);
    if (rank < 0) return ok(withScore ? NIL_ARRAY : NIL);
    const r = reverse ? z!.size - 1 - rank : rank;
    if (!withScore) return ok(intValue(r));
    return ok(arrayValue([intValue(r), doubleValue(z!.scoreOf(args[1]!)!)]));
  };
}

function zcount(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const range = parseScoreRange(args[1]!, args[2]!);
  if (range === null) return badRequest(SCORE_RANGE_NOT_FLOAT);
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  return ok(intValue(z === null ? 0 : spanLength(scoreSpan(z, range, false))));
}

function zlexcount(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const range = parseLexRange(args[1]!, args[2]!);
  if (range === null) return badRequest(LEX_RANGE_INVALID);
  const z = readZSet(keys, args[0]!);
  if (isErr(z)) return z;
  return ok(intValue(z === null ? 0 : spanLength(lexSpan(z, range, false))));
}

export const ZSET_READ_COMMANDS: readonly DataCommand[] = [
  { name: 'zcard', arity: 2, write: false, keys: FIRST_KEY, run: zcard },
  { name: 'zscore', arity: 3, write: false, keys: FIRST_KEY, run: zscore },
  { name: 'zmscore', arity: -3, write: false, keys: FIRST_KEY, run: zmscore },
  { name: 'zrank', arity: -3, write: false, keys: FIRST_KEY, run: zrank(false) },
  { name: 'zrevrank', arity: -3, write: false, keys: FIRST_KEY, run: zrank(true) },
  { name: 'zcount', arity: 4, write: false, keys: FIRST_KEY, run: zcount },
  { name: 'zlexcount', arity: 4, write: false, keys: FIRST_KEY, run: zlexcount },
];
