// SRANDMEMBER and SPOP: members drawn with keys.random. In SPOP (a write)
// the generator is seeded from the log entry's index and the set's layout is
// the same on every replica (large-set.ts), so every replica pops the same
// members. SPOP chooses its members first and checks the reply fits a frame
// before it removes anything, so a refused SPOP loses nothing.

import { bytesToBinaryString } from '../../bytes.js';
import { INT64_MIN, parseInt64 } from '../../int64.js';
import { bytesValue, NIL } from '../../protocol/data-value.js';
import { errReply, type Reply } from '../../protocol/ops.js';
import type { Random } from '../../random.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { changeSet, isErrReply, readSet } from './set-forms.js';
import { membersOf, type SetMembers } from './set-members.js';
import { memberArray, memberSet, ReplyBudget, replyTooLarge } from './set-reply.js';

const NOT_AN_INTEGER = 'value is not an integer or out of range';
/** Redis draws distinct members by shuffling a copy once the count is over a third of the set (SRANDMEMBER_SUB_STRATEGY_MUL). */
const SHUFFLE_COUNT_DIVISOR = 3;

/** `count` distinct members of `set` (0 < count < size), copied: a partial shuffle when many, else draws until distinct. */
export function pickDistinct(set: SetMembers, count: number, random: Random): Uint8Array[] {
  if (count * SHUFFLE_COUNT_DIVISOR > set.size) {
    const all = membersOf(set);
    for (let i = 0; i < count; i++) {
      const j = random.int(i, all.length - 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, count);
  }
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  while (out.length < count) {
    const m = set.randomMember(random);
    const text = bytesToBinaryString(m);
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(m.slice());
  }
  return out;
}

const srandmemberCommand: DataCommand = {
  name: 'srandmember', arity: -2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    if (args.length > 2) return errReply('BAD_REQUEST', 'syntax error');
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    if (args.length === 1) return { ok: true, data: stored === null ? NIL : bytesValue(stored.set.randomMember(keys.random).slice()) };
    const count = parseInt64(args[1]!);
    if (count === null) return errReply('BAD_REQUEST', NOT_AN_INTEGER);
    // Redis takes counts in -LONG_MAX..LONG_MAX: LONG_MIN has no positive twin.
    if (count === INT64_MIN) return errReply('BAD_REQUEST', 'value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    if (stored === null || count === 0n) return { ok: true, data: memberArray([]) };
    const set = stored.set;
    const budget = new ReplyBudget(keys.limits.frameBytesMax);
    let members: Uint8Array[];
    if (count < 0n) {
      // Repeats allowed: one draw each, refused as soon as the reply outgrows a frame.
      members = [];
      for (let n = -count; n > 0n; n--) {
        const m = set.randomMember(keys.random);
        if (!budget.take(m)) return replyTooLarge('srandmember', budget.bytesMax);
        members.push(m.slice());
      }
      return { ok: true, data: memberArray(members) };
    }
    members = count >= BigInt(set.size) ? membersOf(set) : pickDistinct(set, Number(count), keys.random);
    if (!budget.takeAll(members)) return replyTooLarge('srandmember', budget.bytesMax);
    return { ok: true, data: memberArray(members) };
  },
};

const spopCommand: DataCommand = {
  name: 'spop', arity: -2, write: true, keys: FIRST_KEY,
  run(keys, args): Reply {
    if (args.length > 2) return errReply('BAD_REQUEST', 'syntax error');
    const key = args[0]!;
    const stored = readSet(keys, key);
    if (isErrReply(stored)) return stored;
    let count = 1n;
    if (args.length === 2) {
      const n = parseInt64(args[1]!);
      if (n === null) return errReply('BAD_REQUEST', NOT_AN_INTEGER);
      if (n < 0n) return errReply('BAD_REQUEST', 'value is out of range, must be positive');
      count = n;
    }
    if (stored === null || count === 0n) return { ok: true, data: args.length === 1 ? NIL : memberSet([]) };
    const set = stored.set;
    const members = count >= BigInt(set.size) ? membersOf(set) : pickDistinct(set, Number(count), keys.random);
    const budget = new ReplyBudget(keys.limits.frameBytesMax);
    if (!budget.takeAll(members)) return replyTooLarge('spop', budget.bytesMax);
    if (members.length === set.size) keys.remove(key, stored.h);
    else changeSet(keys, key, stored, (s) => members.forEach((m) => s.remove(m)));
    return { ok: true, data: args.length === 1 ? bytesValue(members[0]!) : memberSet(members), version: keys.version };
  },
};

export const SET_RANDOM_COMMANDS: readonly DataCommand[] = [srandmemberCommand, spopCommand];
