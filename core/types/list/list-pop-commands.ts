// The list commands that take elements out: LPOP, RPOP, LMOVE, RPOPLPUSH,
// LMPOP, and the blocking forms BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//
// The shard never blocks: a blocking command here is its non-blocking form
// (it checks its timeout, then pops if it can, else answers nil / nilArray,
// as Redis does inside MULTI). The RESP door parks the connection on that
// nil and runs the command again when a key it waits on may have changed
// (core/resp/blocking-waiters.ts, runtime-node/io/resp-blocking.ts).

import { assert } from '../../assert.js';
import { bytesEqual } from '../../bytes.js';
import { arrayValue, bytesArray, bytesValue, NIL, NIL_ARRAY, type DataValue } from '../../protocol/data-value.js';
import type { Bytes, Reply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { wrongArgCountMessage } from '../call-request.js';
import { FIRST_KEY, keysAt, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import {
  badRequest, blockingTimeoutMs, integerArg, MUST_BE_POSITIVE_MESSAGE, NOT_INTEGER_MESSAGE, rangeOrLimit, SYNTAX_ERROR_MESSAGE, tailSideArg,
} from './list-args.js';
import { changeList, findList, isErr, type FoundList } from './list-store.js';
import type { QuickList } from './quick-list.js';

function wrote(keys: KeyAccess, data: DataValue): Reply {
  return { ok: true, data, version: keys.version };
}

/**
 * Pop up to `count` elements from one end of the list found at `key`
 * (non-empty), in pop order; LIMIT_EXCEEDED (nothing popped) when they
 * would not fit one reply.
 */
function popElements(keys: KeyAccess, key: Bytes, found: FoundList, tail: boolean, count: number): Uint8Array[] | Reply {
  const list = found.list!;
  const n = Math.min(count, list.length);
  const items = tail ? rangeOrLimit(list, list.length - n, list.length - 1, keys.limits) : rangeOrLimit(list, 0, n - 1, keys.limits);
  if (!Array.isArray(items)) return items;
  if (tail) items.reverse();
  changeList(keys, key, found, (l) => (tail ? l.removeTail(n) : l.removeHead(n)));
  return items;
}

function pop(name: string, tail: boolean): DataCommand {
  return {
    name, arity: -2, write: true, keys: FIRST_KEY,
    run(keys, args) {
      if (args.length > 2) return badRequest(wrongArgCountMessage(name));
      const hasCount = args.length === 2;
      let count = 1;
      if (hasCount) {
        const n = integerArg(args[1]!);
        if (n === null) return badRequest(NOT_INTEGER_MESSAGE);
        if (n < 0) return badRequest(MUST_BE_POSITIVE_MESSAGE);
        count = n;
      }
      const found = findList(keys, args[0]!);
      if (isErr(found)) return found;
      if (found.list === null) return { ok: true, data: hasCount ? NIL_ARRAY : NIL };
      if (hasCount && count === 0) return { ok: true, data: arrayValue([]) };
      const items = popElements(keys, args[0]!, found, tail, count);
      if (!Array.isArray(items)) return items;
      return wrote(keys, hasCount ? bytesArray(items) : bytesValue(items[0]!));
    },
  };
}

function popEnd(list: QuickList, tail: boolean): Uint8Array {
  const v = tail ? list.popTail() : list.popHead();
  assert(v !== undefined, 'a pop from a list found non-empty');
  return v;
}

function pushEnd(list: QuickList, tail: boolean, v: Uint8Array): void {
  if (tail) list.pushTail(v);
  else list.pushHead(v);
}

/** LMOVE's work: nil when the source is absent; WRONGTYPE on the destination only when there is something to move (as Redis). */
function move(keys: KeyAccess, source: Bytes, destination: Bytes, fromTail: boolean, toTail: boolean): Reply {
  const from = findList(keys, source);
  if (isErr(from)) return from;
  if (from.list === null) return { ok: true, data: NIL };
  if (bytesEqual(source, destination)) {
    const v = changeList(keys, source, from, (list) => {
      const moved = popEnd(list, fromTail);
      pushEnd(list, toTail, moved);
      return moved;
    });
    return wrote(keys, bytesValue(v));
  }
  const to = findList(keys, destination);
  if (isErr(to)) return to;
  const v = changeList(keys, source, from, (list) => popEnd(list, fromTail));
  // Found again: the source's write may have moved records.
  const target = findList(keys, destination) as FoundList;
  changeList(keys, destination, target, (list) => pushEnd(list, toTail, v));
  return wrote(keys, bytesValue(v));
}

/**
 * LMOVE / BLMOVE (sides given: source, destination, LEFT|RIGHT twice [,
 * timeout]) and RPOPLPUSH / BRPOPLPUSH (always RIGHT then LEFT: source,
 * destination [, timeout]).
 */
function moveCommand(name: string, blocking: boolean, sidesGiven: boolean): DataCommand {
  const timeoutAt = sidesGiven ? 4 : 2;
  return {
    name, arity: timeoutAt + (blocking ? 2 : 1), write: true, keys: keysAt(0, 1, 1),
    run(keys, args) {
      const fromTail = sidesGiven ? tailSideArg(args[2]!) : true;
      const toTail = sidesGiven ? tailSideArg(args[3]!) : false;
      if (fromTail === null || toTail === null) return badRequest(SYNTAX_ERROR_MESSAGE);
      if (blocking) {
        const timeout = blockingTimeoutMs(args[timeoutAt]!);
        if (typeof timeout !== 'number') return timeout;
      }
      return move(keys, args[0]!, args[1]!, fromTail, toTail);
    },
  };
}

/** BLPOP / BRPOP without blocking: [key, element] from the first non-empty list, else nilArray. */
function blockingPop(name: string, tail: boolean): DataCommand {
  return {
    name, arity: -3, write: true, keys: keysAt(0, -2, 1),
    run(keys, args) {
      const timeout = blockingTimeoutMs(args[args.length - 1]!);
      if (typeof timeout !== 'number') return timeout;
      for (let i = 0; i < args.length - 1; i++) {
        const found = findList(keys, args[i]!);
        if (isErr(found)) return found;
        if (found.list === null) continue;
        const v = changeList(keys, args[i]!, found, (list) => popEnd(list, tail));
        return wrote(keys, bytesArray([args[i]!, v]));
      }
      return { ok: true, data: NIL_ARRAY };
    },
  };
}

/** Where LMPOP's parts are among its arguments (after the name), counting from its numkeys. */
interface MpopLayout { numkeysAt: number; numkeys: number }

/** Redis's words for a numkeys below 1 or not a number. */
const NUMKEYS_MESSAGE = 'numkeys should be greater than 0';

function mpopLayout(args: readonly Bytes[], numkeysAt: number): MpopLayout | string {
  const numkeys = integerArg(args[numkeysAt]!);
  if (numkeys === null || numkeys < 1) return NUMKEYS_MESSAGE;
  // The LEFT|RIGHT after the keys must be there.
  if (numkeysAt + numkeys + 1 >= args.length) return SYNTAX_ERROR_MESSAGE;
  return { numkeysAt, numkeys };
}

function mpopKeys(numkeysAt: number): (args: readonly Bytes[]) => Bytes[] | string {
  return (args) => {
    const layout = mpopLayout(args, numkeysAt);
    if (typeof layout === 'string') return layout;
    return args.slice(numkeysAt + 1, numkeysAt + 1 + layout.numkeys);
  };
}

/** LMPOP / BLMPOP: [key, [elements]] from the first non-empty list, else nilArray. */
function mpop(name: string, blocking: boolean): DataCommand {
  const numkeysAt = blocking ? 1 : 0;
  return {
    name, arity: blocking ? -5 : -4, write: true, keys: mpopKeys(numkeysAt),
    run(keys, args) {
      if (blocking) {
        const timeout = blockingTimeoutMs(args[0]!);
        if (typeof timeout !== 'number') return timeout;
      }
      const layout = mpopLayout(args, numkeysAt);
      if (typeof layout === 'string') return badRequest(layout);
      const whereAt = numkeysAt + layout.numkeys + 1;
      const tail = tailSideArg(args[whereAt]!);
      if (tail === null) return badRequest(SYNTAX_ERROR_MESSAGE);
      let count = -1;
      for (let i = whereAt + 1; i < args.length; i++) {
        if (count !== -1 || !isOption(args[i]!, 'COUNT') || i + 1 >= args.length) return badRequest(SYNTAX_ERROR_MESSAGE);
        const n = integerArg(args[++i]!);
        if (n === null || n < 1) return badRequest('count should be greater than 0');
        count = n;
      }
      if (count === -1) count = 1;
      for (let k = 0; k < layout.numkeys; k++) {
        const key = args[numkeysAt + 1 + k]!;
        const found = findList(keys, key);
        if (isErr(found)) return found;
        if (found.list === null) continue;
        const items = popElements(keys, key, found, tail, count);
        if (!Array.isArray(items)) return items;
        return wrote(keys, arrayValue([bytesValue(key), bytesArray(items)]));
      }
      return { ok: true, data: NIL_ARRAY };
    },
  };
}

export const LIST_POP_COMMANDS: readonly DataCommand[] = [
  pop('lpop', false), pop('rpop', true),
  moveCommand('lmove', false, true), moveCommand('rpoplpush', false, false), mpop('lmpop', false),
  blockingPop('blpop', false), blockingPop('brpop', true),
  moveCommand('blmove', true, true), moveCommand('brpoplpush', true, false), mpop('blmpop', true),
];
