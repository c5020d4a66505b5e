// The set commands on one key that add, remove and look: SADD, SREM, SCARD,
// SISMEMBER, SMISMEMBER, SMEMBERS (Redis 7's semantics and words), and the
// list of every set command for core/types/data-commands.ts.

import { intValue } from '../../protocol/data-value.js';
import type { Reply } from '../../protocol/ops.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { SET_ALGEBRA_COMMANDS } from './set-algebra-commands.js';
import { changeSet, isErrReply, readSet } from './set-forms.js';
import { membersOf } from './set-members.js';
import { SET_RANDOM_COMMANDS } from './set-random-commands.js';
import { memberSet, ReplyBudget, replyTooLarge } from './set-reply.js';
import { sscanCommand } from './set-scan-command.js';

const ZERO: Reply = { ok: true, data: intValue(0) };

const saddCommand: DataCommand = {
  name: 'sadd', arity: -3, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    const members = args.slice(1);
    // Nothing new: no write, so the key keeps its version.
    if (stored !== null && members.every((m) => stored.set.has(m))) return ZERO;
    const added = changeSet(keys, args[0]!, stored, (set) => members.reduce((n, m) => n + (set.add(m) ? 1 : 0), 0));
    return { ok: true, data: intValue(added), version: keys.version };
  },
};

const sremCommand: DataCommand = {
  name: 'srem', arity: -3, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    const members = args.slice(1);
    if (stored === null || !members.some((m) => stored.set.has(m))) return ZERO;
    const removed = changeSet(keys, args[0]!, stored, (set) => members.reduce((n, m) => n + (set.remove(m) ? 1 : 0), 0));
    return { ok: true, data: intValue(removed), version: keys.version };
  },
};

const scardCommand: DataCommand = {
  name: 'scard', arity: 2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    return { ok: true, data: intValue(stored?.set.size ?? 0) };
  },
};

const sismemberCommand: DataCommand = {
  name: 'sismember', arity: 3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    return { ok: true, data: intValue(stored?.set.has(args[1]!) === true ? 1 : 0) };
  },
};

const smismemberCommand: DataCommand = {
  name: 'smismember', arity: -3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    return { ok: true, data: { t: 'array', v: args.slice(1).map((m) => intValue(stored?.set.has(m) === true ? 1 : 0)) } };
  },
};

const smembersCommand: DataCommand = {
  name: 'smembers', arity: 2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const stored = readSet(keys, args[0]!);
    if (isErrReply(stored)) return stored;
    if (stored === null) return { ok: true, data: memberSet([]) };
    const budget = new ReplyBudget(keys.limits.frameBytesMax);
    let fits = true;
    stored.set.forEach((m) => void (fits &&= budget.take(m)));
    if (!fits) return replyTooLarge('smembers', budget.bytesMax);
    return { ok: true, data: memberSet(membersOf(stored.set)) };
  },
};

export const SET_COMMANDS: readonly DataCommand[] = [
  saddCommand, sremCommand, scardCommand, sismemberCommand, smismemberCommand, smembersCommand,
  ...SET_RANDOM_COMMANDS, ...SET_ALGEBRA_COMMANDS, sscanCommand,
];
