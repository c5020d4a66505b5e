// The list commands that work on one key in place: LPUSH, RPUSH, LPUSHX,
// RPUSHX, LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, with
// Redis 7's replies and error words. Pops and moves: list-pop-commands.ts.

import { arrayValue, bytesArray, intValue, NIL, OK_STATUS, type DataValue } from '../../protocol/data-value.js';
import type { Bytes, Reply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { FIRST_KEY, type DataCommand } from '../data-command.js';
import type { KeyAccess } from '../key-access.js';
import {
  absoluteIndex, badRequest, integerArg, NOT_INTEGER_MESSAGE, rangeOrLimit, replyTooLarge, SYNTAX_ERROR_MESSAGE,
} from './list-args.js';
import { elementIs, encodeElement } from './list-element.js';
import { changeList, findList, isErr, type FoundList } from './list-store.js';
import { LIST_POP_COMMANDS } from './list-pop-commands.js';
import type { QuickList } from './quick-list.js';

function ok(data: DataValue): Reply {
  return { ok: true, data };
}

function wrote(keys: KeyAccess, data: DataValue): Reply {
  return { ok: true, data, version: keys.version };
}

/** LPUSH / RPUSH (onlyExisting: LPUSHX / RPUSHX): push each element in turn; the reply is the new length. */
function push(name: string, tail: boolean, onlyExisting: boolean): DataCommand {
  return {
    name, arity: -3, write: true, keys: FIRST_KEY,
    run(keys, args) {
      const found = findList(keys, args[0]!);
      if (isErr(found)) return found;
      if (onlyExisting && found.list === null) return ok(intValue(0));
      const length = changeList(keys, args[0]!, found, (list) => {
        for (let i = 1; i < args.length; i++) {
          if (tail) list.pushTail(args[i]!);
          else list.pushHead(args[i]!);
        }
        return list.length;
      });
      return wrote(keys, intValue(length));
    },
  };
}

/** Index of the first element equal to `element`, or -1. */
function firstIndexOf(list: QuickList, element: Bytes): number {
  const needle = encodeElement(element);
  let found = -1;
  list.forEachFrom(0, (buf, off, end, index) => {
    if (!elementIs(buf, off, end, needle)) return true;
    found = index;
    return false;
  });
  return found;
}

const LLEN: DataCommand = {
  name: 'llen', arity: 2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const found = findList(keys, args[0]!);
    if (isErr(found)) return found;
    return ok(intValue(found.list?.length ?? 0));
  },
};

/**
 * LRANGE / LTRIM's prelude: their start and stop (Redis's words when not
 * integers), the list, and the range clamped as Redis does: [start, stop]
 * within the list, or null when it selects nothing.
 */
function listAndRange(keys: KeyAccess, args: readonly Bytes[]): { found: FoundList; range: [number, number] | null } | Reply {
  const start = integerArg(args[1]!);
  const stop = integerArg(args[2]!);
  if (start === null || stop === null) return badRequest(NOT_INTEGER_MESSAGE);
  const found = findList(keys, args[0]!);
  if (isErr(found)) return found;
  const length = found.list?.length ?? 0;
  const from = Math.max(0, absoluteIndex(start, length));
  const to = Math.min(length - 1, absoluteIndex(stop, length));
  return { found, range: from > to || from >= length ? null : [from, to] };
}

const LRANGE: DataCommand = {
  name: 'lrange', arity: 4, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const at = listAndRange(keys, args);
    if ('ok' in at) return at;
    const { found: { list }, range } = at;
    if (list === null || range === null) return ok(arrayValue([]));
    const items = rangeOrLimit(list, range[0], range[1], keys.limits);
    return Array.isArray(items) ? ok(bytesArray(items)) : items;
  },
};

// LINDEX and LSET look the key up before reading the index, as Redis 7 does
// (a missing key answers nil / no such key whatever the index says).
const LINDEX: DataCommand = {
  name: 'lindex', arity: 3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const found = findList(keys, args[0]!);
    if (isErr(found)) return found;
    const list = found.list;
    if (list === null) return ok(NIL);
    const index = integerArg(args[1]!);
    if (index === null) return badRequest(NOT_INTEGER_MESSAGE);
    const i = absoluteIndex(index, list.length);
    return ok(i >= 0 && i < list.length ? { t: 'bytes', v: list.at(i) } : NIL);
  },
};

const LSET: DataCommand = {
  name: 'lset', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const found = findList(keys, args[0]!);
    if (isErr(found)) return found;
    if (found.list === null) return badRequest('no such key');
    const index = integerArg(args[1]!);
    if (index === null) return badRequest(NOT_INTEGER_MESSAGE);
    const i = absoluteIndex(index, found.list.length);
    if (i < 0 || i >= found.list.length) return badRequest('index out of range');
    changeList(keys, args[0]!, found, (list) => list.set(i, args[2]!));
    return wrote(keys, OK_STATUS);
  },
};

const LINSERT: DataCommand = {
  name: 'linsert', arity: 5, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const after = isOption(args[1]!, 'AFTER');
    if (!after && !isOption(args[1]!, 'BEFORE')) return badRequest(SYNTAX_ERROR_MESSAGE);
    const found = findList(keys, args[0]!);
    if (isErr(found)) return found;
    if (found.list === null) return ok(intValue(0));
    const pivot = firstIndexOf(found.list, args[2]!);
    if (pivot < 0) return ok(intValue(-1));
    const length = changeList(keys, args[0]!, found, (list) => {
      list.insert(after ? pivot + 1 : pivot, args[3]!);
      return list.length;
    });
    return wrote(keys, intValue(length));
  },
};

const LREM: DataCommand = {
  name: 'lrem', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const count = integerArg(args[1]!);
    if (count === null) return badRequest(NOT_INTEGER_MESSAGE);
    const found = findList(keys, args[0]!);
    if (isErr(found)) return found;
    if (found.list === null || firstIndexOf(found.list, args[2]!) < 0) return ok(intValue(0));
    const needle = encodeElement(args[2]!);
    const max = Math.min(Math.abs(count), Number.MAX_SAFE_INTEGER);
    const removed = changeList(keys, args[0]!, found, (list) => list.removeMatching(needle, max, count < 0));
    return wrote(keys, intValue(removed));
  },
};

const LTRIM: DataCommand = {
  name: 'ltrim', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const at = listAndRange(keys, args);
    if ('ok' in at) return at;
    const { found, range } = at;
    if (found.list === null) return ok(OK_STATUS);
    const length = found.list.length;
    const dropHead = range === null ? length : range[0];
    const dropTail = range === null ? 0 : length - 1 - range[1];
    if (dropHead + dropTail === 0) return ok(OK_STATUS);
    changeList(keys, args[0]!, found, (list) => {
      list.removeHead(dropHead);
      list.removeTail(dropTail);
    });
    return wrote(keys, OK_STATUS);
  },
};

interface LposOptions { rank: number; count: number | null; maxlen: number }

function lposOptions(args: readonly Bytes[]): LposOptions | Reply {
  const options: LposOptions = { rank: 1, count: null, maxlen: 0 };
  for (let i = 2; i < args.length; i++) {
    const option = args[i]!;
    const value = i + 1 < args.length ? integerArg(args[i + 1]!) : undefined;
    if (value === undefined || !(isOption(option, 'RANK') || isOption(option, 'COUNT') || isOption(option, 'MAXLEN'))) {
      return badRequest(SYNTAX_ERROR_MESSAGE);
    }
    i++;
    if (value === null) return badRequest(NOT_INTEGER_MESSAGE);
    if (isOption(option, 'RANK')) {
      if (value === 0) {
        return badRequest("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      }
      options.rank = value;
    } else if (isOption(option, 'COUNT')) {
      if (value < 0) return badRequest("COUNT can't be negative");
      options.count = value;
    } else {
      if (value < 0) return badRequest("MAXLEN can't be negative");
      options.maxlen = value;
    }
  }
  return options;
}

/** Bytes one integer of an LPOS reply counts for the frame bound (core/protocol/data-value.ts). */
const INT_REPLY_BYTES = 16;

const LPOS: DataCommand = {
  name: 'lpos', arity: -3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const options = lposOptions(args);
    if ('ok' in options) return options;
    const found = findList(keys, args[0]!);
    if (isErr(found)) return found;
    const { rank, count, maxlen } = options;
    const list = found.list;
    if (list === null) return ok(count !== null ? arrayValue([]) : NIL);
    const needle = encodeElement(args[1]!);
    const matches: DataValue[] = [];
    const skip = Math.abs(rank) - 1;
    const want = count === null ? 1 : count === 0 ? Infinity : count;
    const limitMatches = Math.floor(keys.limits.frameBytesMax / INT_REPLY_BYTES) - 1;
    let seen = 0;
    let scanned = 0;
    let over = false;
    const visit = (buf: Uint8Array, off: number, end: number, index: number): boolean => {
      if (maxlen !== 0 && scanned++ >= maxlen) return false;
      if (!elementIs(buf, off, end, needle)) return true;
      if (seen++ < skip) return true;
      if (matches.length >= limitMatches) {
        over = true;
        return false;
      }
      matches.push(intValue(index));
      return matches.length < want;
    };
    if (rank > 0) list.forEachFrom(0, visit);
    else list.forEachBackward(visit);
    if (over) return replyTooLarge(keys.limits);
    if (count !== null) return ok(arrayValue(matches));
    return ok(matches[0] ?? NIL);
  },
};

export const LIST_COMMANDS: readonly DataCommand[] = [
  push('lpush', false, false), push('rpush', true, false), push('lpushx', false, true), push('rpushx', true, true),
  LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS,
  ...LIST_POP_COMMANDS,
];
