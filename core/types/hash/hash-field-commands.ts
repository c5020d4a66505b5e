// The hash commands that set, get and delete fields: HSET, HMSET, HSETNX,
// HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, with
// Redis 7's replies and error words.

import { bytesValue, intValue, NIL, OK_STATUS, type DataValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import { wrongArgCountMessage } from '../call-request.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import { hashAt, isErr, type HashEntries } from './hash-read.js';
import { ReplyBudget } from './hash-reply.js';
import { changeHash } from './hash-write.js';

/** HSET and HMSET: set every field/value pair; the reply counts the new fields. */
function setPairs(name: string, reply: (added: number) => DataValue): DataCommand {
  return {
    name, arity: -4, write: true, keys: FIRST_KEY,
    run(keys, args) {
      if (args.length % 2 === 0) return errReply('BAD_REQUEST', wrongArgCountMessage(name));
      const at = hashAt(keys, args[0]!);
      if (isErr(at)) return at;
      const added = changeHash(keys, args[0]!, at.h, (hash) => {
        let n = 0;
        for (let i = 1; i < args.length; i += 2) if (hash.set(args[i]!, args[i + 1]!)) n++;
        return n;
      });
      return { ok: true, data: reply(added), version: keys.version };
    },
  };
}

const hsetnx: DataCommand = {
  name: 'hsetnx', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const at = hashAt(keys, args[0]!);
    if (isErr(at)) return at;
    if (at.entries?.get(args[1]!) != null) return { ok: true, data: intValue(0) };
    changeHash(keys, args[0]!, at.h, (hash) => hash.set(args[1]!, args[2]!));
    return { ok: true, data: intValue(1), version: keys.version };
  },
};

const hdel: DataCommand = {
  name: 'hdel', arity: -3, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const at = hashAt(keys, args[0]!);
    if (isErr(at)) return at;
    const entries = at.entries;
    if (entries === null || !args.slice(1).some((f) => entries.get(f) !== null)) return { ok: true, data: intValue(0) };
    const removed = changeHash(keys, args[0]!, at.h, (hash) => {
      let n = 0;
      for (let i = 1; i < args.length; i++) if (hash.delete(args[i]!)) n++;
      return n;
    });
    return { ok: true, data: intValue(removed), version: keys.version };
  },
};

/** A read of one key's hash: `answer` gets its entries (null when absent). */
export function readHash(
  name: string, arity: number, answer: (entries: HashEntries | null, args: readonly Bytes[], budget: ReplyBudget) => Reply,
): DataCommand {
  return {
    name, arity, write: false, keys: FIRST_KEY,
    run(keys, args) {
      const at = hashAt(keys, args[0]!);
      if (isErr(at)) return at;
      return answer(at.entries, args, new ReplyBudget(keys.limits));
    },
  };
}

const ok = (data: DataValue): Reply => ({ ok: true, data });

/** Every field, value or both, bounded by a frame. */
function wholeHash(name: string, take: 'fields' | 'values' | 'both'): DataCommand {
  return readHash(name, 2, (entries, _args, budget) => {
    const out: DataValue[] = [];
    entries?.forEach((field, value) => {
      if (budget.full) return;
      if (take !== 'values' && budget.add(field.length)) out.push(bytesValue(field.slice()));
      if (take !== 'fields' && budget.add(value.length)) out.push(bytesValue(value.slice()));
    });
    if (budget.full) return budget.tooLarge(name.toUpperCase(), `the hash has ${entries!.size} fields: read it with HSCAN`);
    return ok(take === 'both' ? { t: 'map', v: out } : { t: 'array', v: out });
  });
}

export const HASH_FIELD_COMMANDS: readonly DataCommand[] = [
  setPairs('hset', (added) => intValue(added)),
  setPairs('hmset', () => OK_STATUS),
  hsetnx,
  hdel,
  readHash('hget', 3, (entries, args) => {
    const value = entries?.get(args[1]!) ?? null;
    return ok(value === null ? NIL : bytesValue(value.slice()));
  }),
  readHash('hmget', -3, (entries, args, budget) => {
    const out: DataValue[] = [];
    for (let i = 1; i < args.length; i++) {
      const value = entries?.get(args[i]!) ?? null;
      if (!budget.add(value?.length ?? 0)) return budget.tooLarge('HMGET', 'ask for fewer fields');
      out.push(value === null ? NIL : bytesValue(value.slice()));
    }
    return ok({ t: 'array', v: out });
  }),
  readHash('hlen', 2, (entries) => ok(intValue(entries?.size ?? 0))),
  readHash('hstrlen', 3, (entries, args) => ok(intValue(entries?.get(args[1]!)?.length ?? 0))),
  readHash('hexists', 3, (entries, args) => ok(intValue(entries?.get(args[1]!) != null ? 1 : 0))),
  wholeHash('hkeys', 'fields'),
  wholeHash('hvals', 'values'),
  wholeHash('hgetall', 'both'),
];
