// Sorted sets combined: ZUNION, ZINTER, ZDIFF and their STORE forms (WEIGHTS,
// AGGREGATE SUM|MIN|MAX, WITHSCORES), ZINTERCARD (LIMIT). All keys live on
// one shard (routing refuses others with CROSS_SLOT). Inputs are sorted
// sets, plain sets (each member scored 1, as Redis's zuiInit reads a set, in
// any of its three encodings) or absent; any other type answers WRONGTYPE.

import { bytesToBinaryString } from '../../bytes.js';
import { intValue } from '../../protocol/data-value.js';
import type { Bytes, ErrReply, Reply } from '../../protocol/ops.js';
import type { DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import { badRequest, isWord, NOT_INTEGER, parseInteger, parseScore, SYNTAX } from './zset-args.js';
import { isErr, storeZSet } from './zset-keys.js';
import { readScoredInput, type ScoredInput } from './zset-inputs.js';
import { writeReply, ZReply } from './zset-reply.js';
import { compareEntries } from './sorted-set.js';

type SetOp = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

interface Combine {
  keys: Bytes[];
  weights: number[];
  aggregate: Aggregate;
  withScores: boolean;
  /** ZINTERCARD's LIMIT; 0 = none. */
  limit: number;
}

/** Where numkeys sits among the arguments: after the destination in the STORE forms. */
function inputKeys(args: readonly Bytes[], at: number, command: string): Bytes[] | string {
  const n = parseInteger(args[at]!);
  if (n === null) return NOT_INTEGER;
  if (n < 1) return `at least 1 input key is needed for '${command}' command`;
  if (n > args.length - at - 1) return SYNTAX;
  return args.slice(at + 1, at + 1 + n);
}

function keySpec(command: string, store: boolean) {
  return (args: readonly Bytes[]): Bytes[] | string => {
    const inputs = inputKeys(args, store ? 1 : 0, command);
    return typeof inputs === 'string' || !store ? inputs : [args[0]!, ...inputs];
  };
}

function parseCombine(args: readonly Bytes[], at: number, command: string, op: SetOp, mode: 'read' | 'store' | 'card'): Combine | ErrReply {
  const keys = inputKeys(args, at, command);
  if (typeof keys === 'string') return badRequest(keys);
  const c: Combine = { keys, weights: keys.map(() => 1), aggregate: 'sum', withScores: false, limit: 0 };
  for (let j = at + 1 + keys.length; j < args.length; j++) {
    const a = args[j]!;
    const left = args.length - j;
    if (op !== 'diff' && mode !== 'card' && left >= keys.length + 1 && isWord(a, 'weights')) {
      for (let i = 0; i < keys.length; i++) {
        const w = parseScore(args[j + 1 + i]!);
        if (w === null) return badRequest('weight value is not a float');
        c.weights[i] = w;
      }
      j += keys.length;
    } else if (op !== 'diff' && mode !== 'card' && left >= 2 && isWord(a, 'aggregate')) {
      const v = args[++j]!;
      if (isWord(v, 'sum')) c.aggregate = 'sum';
      else if (isWord(v, 'min')) c.aggregate = 'min';
      else if (isWord(v, 'max')) c.aggregate = 'max';
      else return badRequest(SYNTAX);
    } else if (mode === 'read' && isWord(a, 'withscores')) {
      c.withScores = true;
    } else if (mode === 'card' && left >= 2 && isWord(a, 'limit')) {
      const l = parseInteger(args[++j]!);
      if (l === null || l < 0) return badRequest("LIMIT can't be negative");
      c.limit = l;
    } else {
      return badRequest(SYNTAX);
    }
  }
  return c;
}

function aggregate(a: number, b: number, how: Aggregate): number {
  if (how === 'min') return Math.min(a, b);
  if (how === 'max') return Math.max(a, b);
  const sum = a + b;
  // Redis: inf + -inf is 0 here, not NaN.
  return Number.isNaN(sum) ? 0 : sum;
}

function weighted(score: number, weight: number): number {
  const v = score * weight;
  return Number.isNaN(v) ? 0 : v;
}

/** The combined members (as latin1 keys of a Map) with their scores, or WRONGTYPE. */
function combine(keys: KeyAccess, c: Combine, op: SetOp): Map<string, { member: Bytes; score: number }> | ErrReply {
  const sets: (ScoredInput | null)[] = [];
  for (const key of c.keys) {
    const z = readScoredInput(keys, key);
    if (isErr(z)) return z;
    sets.push(z);
  }
  const out = new Map<string, { member: Bytes; score: number }>();
  const first = sets[0];
  if (op === 'union') {
    sets.forEach((z, i) => {
      if (z === null) return;
      z.forEachScored((member, score) => {
        const k = bytesToBinaryString(member);
        const v = weighted(score, c.weights[i]!);
        const e = out.get(k);
        if (e === undefined) out.set(k, { member, score: v });
        else e.score = aggregate(e.score, v, c.aggregate);
      });
    });
    return out;
  }
  if (first === null || first === undefined || first.size === 0) return out;
  if (op === 'inter' && sets.some((z) => z === null)) return out;
  first.forEachScored((member, score) => {
    if (op === 'diff') {
      if (!sets.slice(1).some((z) => z !== null && z.scoreOf(member) !== undefined)) out.set(bytesToBinaryString(member), { member, score });
      return;
    }
    let v = weighted(score, c.weights[0]!);
    for (let i = 1; i < sets.length; i++) {
      const s = sets[i]!.scoreOf(member);
      if (s === undefined) return;
      v = aggregate(v, weighted(s, c.weights[i]!), c.aggregate);
    }
    out.set(bytesToBinaryString(member), { member, score: v });
    return c.limit > 0 && out.size >= c.limit ? false : undefined;
  });
  return out;
}

function sorted(m: Map<string, { member: Bytes; score: number }>): { member: Bytes; score: number }[] {
  return [...m.values()].sort((a, b) => compareEntries(a.score, a.member, b.score, b.member));
}

function readForm(op: SetOp, command: string) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    const c = parseCombine(args, 0, command, op, 'read');
    if (isErr(c)) return c;
    const m = combine(keys, c, op);
    if (isErr(m)) return m;
    const reply = new ZReply(keys.limits.frameBytesMax, c.withScores);
    for (const e of sorted(m)) if (!reply.add(e.member, e.score)) break;
    return reply.reply();
  };
}

function storeForm(op: SetOp, command: string) {
  return (keys: KeyAccess, args: readonly Bytes[]): Reply => {
    const c = parseCombine(args, 1, command, op, 'store');
    if (isErr(c)) return c;
    const m = combine(keys, c, op);
    if (isErr(m)) return m;
    const entries = sorted(m);
    const wrote = storeZSet(keys, args[0]!, entries.map((e) => e.member), entries.map((e) => e.score));
    return writeReply(keys, { result: null, wrote }, intValue(entries.length));
  };
}

function zintercard(keys: KeyAccess, args: readonly Bytes[]): Reply {
  const c = parseCombine(args, 0, 'zintercard', 'inter', 'card');
  if (isErr(c)) return c;
  const m = combine(keys, c, 'inter');
  if (isErr(m)) return m;
  return { ok: true, data: intValue(m.size) };
}

export const ZSET_ALGEBRA_COMMANDS: readonly DataCommand[] = [
  { name: 'zunion', arity: -3, write: false, keys: keySpec('zunion', false), run: readForm('union', 'zunion') },
  { name: 'zinter', arity: -3, write: false, keys: keySpec('zinter', false), run: readForm('inter', 'zinter') },
  { name: 'zdiff', arity: -3, write: false, keys: keySpec('zdiff', false), run: readForm('diff', 'zdiff') },
  { name: 'zunionstore', arity: -4, write: true, keys: keySpec('zunionstore', true), run: storeForm('union', 'zunionstore') },
  { name: 'zinterstore', arity: -4, write: true, keys: keySpec('zinterstore', true), run: storeForm('inter', 'zinterstore') },
  { name: 'zdiffstore', arity: -4, write: true, keys: keySpec('zdiffstore', true), run: storeForm('diff', 'zdiffstore') },
  { name: 'zintercard', arity: -3, write: false, keys: keySpec('zintercard', false), run: zintercard },
];
