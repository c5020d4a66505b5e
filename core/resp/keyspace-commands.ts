// Commands over many keys or the whole keyspace: MGET, MSET, MSETNX, DEL,
// UNLINK, EXISTS, TYPE, DBSIZE, FLUSHDB, FLUSHALL. See commands.ts for which of
// them are atomic across shards (none are).

import type { Request } from '../protocol/ops.js';
import { isOption } from './command-args.js';
import {
  errorPlan, firstError, requestsPlan, writeErrReply, type CommandTable, type Finish, type Plan,
  type RequestsPlan, type TranslateContext,
} from './plan.js';
import { arityError, batchTooLargeError, SYNTAX_ERROR } from './resp-errors.js';

function keysOf(args: Uint8Array[]): Uint8Array[] {
  return args.slice(1);
}

/** A plan with one request per key, or an error if there are more keys than a batch may hold. */
function perKey(keys: Uint8Array[], makeRequest: (key: Uint8Array) => Request, finish: Finish, ctx: TranslateContext): Plan {
  if (keys.length > ctx.limits.batchKeysMax) return errorPlan(batchTooLargeError(keys.length, ctx.limits.batchKeysMax));
  return requestsPlan(keys.map(makeRequest), finish, ctx);
}

/** How many replies say found: DEL, UNLINK, EXISTS (a key named twice counts twice, as in Redis). */
const finishFoundCount: Finish = (replies, out) => {
  const err = firstError(replies);
  if (err) return writeErrReply(err, out);
  let count = 0;
  for (const r of replies) if (r.ok && r.found) count++;
  out.writeInteger(count);
};

const finishMGet: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  const items = r.items ?? [];
  out.writeArrayHeader(items.length);
  for (const item of items) {
    if (item.found && item.value) out.writeBulk(item.value);
    else out.writeNull();
  }
};

const finishOk: Finish = (replies, out) => {
  const err = firstError(replies);
  if (err) return writeErrReply(err, out);
  out.writeSimpleString('OK');
};

/** MSET / MSETNX arguments as entries, or null when a key lacks its value. */
function entriesOf(args: Uint8Array[]): { key: Uint8Array; value: Uint8Array }[] | null {
  if (args.length % 2 === 0) return null;
  const entries: { key: Uint8Array; value: Uint8Array }[] = [];
  for (let i = 1; i < args.length; i += 2) entries.push({ key: args[i]!, value: args[i + 1]! });
  return entries;
}

function translateMSet(args: Uint8Array[], ctx: TranslateContext): Plan {
  const entries = entriesOf(args);
  if (entries === null) return errorPlan(arityError('mset'));
  return requestsPlan([{ op: 'mset', entries }], finishOk, ctx);
}

/**
 * MSETNX in two steps, because its keys may live on several shards: first
 * EXISTS on every key; if none exists, an mset with ifNoneExist, which each
 * shard checks again for its own keys. Not atomic across shards: a key
 * created between the steps makes its shard refuse while other shards may
 * already have written theirs (the reply is then 0, though some keys were set).
 */
function translateMSetNx(args: Uint8Array[], ctx: TranslateContext): Plan {
  const entries = entriesOf(args);
  if (entries === null) return errorPlan(arityError('msetnx'));
  const setPlan = requestsPlan([{ op: 'mset', entries, ifNoneExist: true }], (replies, out) => {
    const r = replies[0]!;
    if (!r.ok) return writeErrReply(r, out);
    out.writeInteger(r.found ? 1 : 0);
  }, ctx);
  if (setPlan.kind !== 'requests') return setPlan; // out of limits
  const set: RequestsPlan = setPlan;
  return perKey(entries.map((e) => e.key), (key) => ({ op: 'exists', key }), (replies, out) => {
    const err = firstError(replies);
    if (err) return writeErrReply(err, out);
    if (replies.some((r) => r.ok && r.found)) return out.writeInteger(0);
    return set;
  }, ctx);
}

/** FLUSHDB / FLUSHALL [ASYNC | SYNC]: both flush everything at once here. */
function translateFlush(args: Uint8Array[], ctx: TranslateContext): Plan {
  if (args.length > 2 || (args.length === 2 && !isOption(args[1]!, 'ASYNC') && !isOption(args[1]!, 'SYNC'))) {
    return errorPlan(SYNTAX_ERROR);
  }
  return requestsPlan([{ op: 'flush' }], finishOk, ctx);
}

export const KEYSPACE_COMMANDS: CommandTable = {
  mget: { arity: -2, translate: (args, ctx) => requestsPlan([{ op: 'mget', keys: keysOf(args) }], finishMGet, ctx) },
  mset: { arity: -3, translate: translateMSet },
  msetnx: { arity: -3, translate: translateMSetNx },
  del: { arity: -2, translate: (args, ctx) => perKey(keysOf(args), (key) => ({ op: 'del', key }), finishFoundCount, ctx) },
  unlink: { arity: -2, translate: (args, ctx) => perKey(keysOf(args), (key) => ({ op: 'del', key }), finishFoundCount, ctx) },
  exists: { arity: -2, translate: (args, ctx) => perKey(keysOf(args), (key) => ({ op: 'exists', key }), finishFoundCount, ctx) },
  // Piccolo keeps no access times, so touching a key is seeing that it exists.
  touch: { arity: -2, translate: (args, ctx) => perKey(keysOf(args), (key) => ({ op: 'exists', key }), finishFoundCount, ctx) },
  dbsize: {
    arity: 1,
    translate: (_args, ctx) => requestsPlan([{ op: 'count' }], (replies, out) => {
      const r = replies[0]!;
      if (!r.ok) return writeErrReply(r, out);
      out.writeInteger(r.integer ?? 0n);
    }, ctx),
  },
  flushdb: { arity: -1, translate: translateFlush },
  flushall: { arity: -1, translate: translateFlush },
};
