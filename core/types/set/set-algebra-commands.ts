// The commands over several sets: SINTER, SUNION, SDIFF and their STORE
// forms, SINTERCARD, SMOVE. Every key must be a set or absent (an absent key
// is an empty set); a key of another type answers WRONGTYPE before anything
// is computed, as in Redis. Routing has already put every key on this shard.
// A STORE form replaces its destination, whatever it held, with no expiry,
// and removes it when the result is empty.

import { parseInt64 } from '../../int64.js';
import { intValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type ErrReply, type Reply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { keysAt, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import { LargeSet } from './large-set.js';
import { changeSet, isErrReply, readSet, storeSet } from './set-forms.js';
import { membersOf, type SetMembers } from './set-members.js';
import { memberSet, ReplyBudget, replyTooLarge } from './set-reply.js';

type SetOp = 'inter' | 'union' | 'diff';

/** The sets at `names` (null for an absent key), or WRONGTYPE for the first key of another type. */
function readSets(keys: KeyAccess, names: readonly Bytes[]): (SetMembers | null)[] | ErrReply {
  const sets: (SetMembers | null)[] = [];
  for (const name of names) {
    const stored = readSet(keys, name);
    if (isErrReply(stored)) return stored;
    sets.push(stored?.set ?? null);
  }
  return sets;
}

/** Members in the smallest set and every other, in the smallest's order; stops at `limit` (0: none). */
function intersect(sets: readonly (SetMembers | null)[], limit = 0): Uint8Array[] {
  if (sets.some((s) => s === null || s.size === 0)) return [];
  const bySize = (sets as SetMembers[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...others] = bySize;
  const out: Uint8Array[] = [];
  smallest!.forEach((m) => {
    if (limit > 0 && out.length >= limit) return;
    if (others.every((s) => s.has(m))) out.push(m.slice());
  });
  return out;
}

function combine(op: SetOp, sets: readonly (SetMembers | null)[]): Uint8Array[] {
  if (op === 'inter') return intersect(sets);
  if (op === 'diff') {
    const [first, ...others] = sets;
    if (!first) return [];
    const out: Uint8Array[] = [];
    first.forEach((m) => {
      if (!others.some((s) => s !== null && s.has(m))) out.push(m.slice());
    });
    return out;
  }
  // A union is gathered in a scratch large set, which drops repeats without a JS object per member.
  const union = new LargeSet();
  for (const s of sets) s?.forEach((m) => union.add(m));
  return membersOf(union);
}

function readCommand(name: string, op: SetOp): DataCommand {
  return {
    name, arity: -2, write: false, keys: keysAt(0, -1, 1),
    run(keys, args) {
      const sets = readSets(keys, args);
      if (isErrReply(sets)) return sets;
      const members = combine(op, sets);
      const budget = new ReplyBudget(keys.limits.frameBytesMax);
      if (!budget.takeAll(members)) return replyTooLarge(name, budget.bytesMax);
      return { ok: true, data: memberSet(members) };
    },
  };
}

function storeCommand(name: string, op: SetOp): DataCommand {
  return {
    name, arity: -3, write: true, keys: keysAt(0, -1, 1),
    run(keys, args) {
      const sets = readSets(keys, args.slice(1));
      if (isErrReply(sets)) return sets;
      const members = combine(op, sets);
      const dst = args[0]!;
      const existed = readSet(keys, dst) !== null;
      const size = storeSet(keys, dst, members);
      const wrote = size > 0 || existed;
      return wrote ? { ok: true, data: intValue(size), version: keys.version } : { ok: true, data: intValue(0) };
    },
  };
}

const NUMKEYS_MESSAGE = 'numkeys should be greater than 0';

/** SINTERCARD's keys: the `numkeys` after its first argument; an error text when numkeys is wrong. */
function sintercardKeys(args: readonly Bytes[]): Bytes[] | string {
  const n = parseInt64(args[0]!);
  if (n === null || n < 1n) return NUMKEYS_MESSAGE;
  if (n > BigInt(args.length - 1)) return "Number of keys can't be greater than number of args";
  return args.slice(1, 1 + Number(n));
}

const sintercardCommand: DataCommand = {
  name: 'sintercard', arity: -3, write: false,
  keys: sintercardKeys,
  run(keys, args): Reply {
    const names = sintercardKeys(args);
    if (typeof names === 'string') return errReply('BAD_REQUEST', names);
    const n = names.length;
    let limit = 0;
    for (let i = 1 + n; i < args.length; i++) {
      if (isOption(args[i]!, 'LIMIT') && i + 1 < args.length) {
        const l = parseInt64(args[++i]!);
        if (l === null || l < 0n) return errReply('BAD_REQUEST', "LIMIT can't be negative");
        limit = l > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(l);
      } else return errReply('BAD_REQUEST', 'syntax error');
    }
    const sets = readSets(keys, names);
    if (isErrReply(sets)) return sets;
    return { ok: true, data: intValue(intersect(sets, limit).length) };
  },
};

const smoveCommand: DataCommand = {
  name: 'smove', arity: 4, write: true, keys: keysAt(0, 1, 1),
  run(keys, args) {
    const [srcKey, dstKey, member] = args as [Bytes, Bytes, Bytes];
    const zero: Reply = { ok: true, data: intValue(0) };
    const src = readSet(keys, srcKey);
    if (src === null) return zero;
    if (isErrReply(src)) return src;
    const dst = readSet(keys, dstKey);
    if (isErrReply(dst)) return dst;
    if (!src.set.has(member)) return zero;
    // The same key: nothing moves (Redis answers whether the member is there).
    if (dst !== null && dst.h === src.h) return { ok: true, data: intValue(1) };
    changeSet(keys, srcKey, src, (s) => s.remove(member));
    // Read the destination again: the source's write may have moved records.
    const dstNow = readSet(keys, dstKey);
    if (isErrReply(dstNow)) return dstNow;
    if (dstNow === null || !dstNow.set.has(member)) changeSet(keys, dstKey, dstNow, (s) => s.add(member));
    return { ok: true, data: intValue(1), version: keys.version };
  },
};

export const SET_ALGEBRA_COMMANDS: readonly DataCommand[] = [
  readCommand('sinter', 'inter'), storeCommand('sinterstore', 'inter'),
  readCommand('sunion', 'union'), storeCommand('sunionstore', 'union'),
  readCommand('sdiff', 'diff'), storeCommand('sdiffstore', 'diff'),
  sintercardCommand, smoveCommand,
];
