// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
// [ALPHA] [STORE destination], and SORT_RO (the same without STORE), with
// Redis 7's semantics and words: the elements of a list, set or sorted set
// (a missing key is an empty list; any other type WRONGTYPE), sorted as
// numbers (each read as strtod reads it: sort-score.ts) or, with ALPHA, as
// bytes; by themselves or by the values BY's pattern names; then LIMIT's
// range, each element replaced by what the GET patterns name
// (sort-pattern.ts).
//
// Order, as Redis's: numbers tie-break on the elements' bytes; ALPHA BY puts
// missing weights first; DESC reverses the comparison. A BY without `*`
// (`nosort`) keeps a list's or sorted set's own order (DESC walks it from
// the end, LIMIT cuts it); a set's is its encoding's order, except with
// STORE, where Redis sorts it (ALPHA) so replicas agree. Where Redis leaves
// equal ALPHA BY weights in qsort's order (unspecified), Piccolo orders them
// by the elements' bytes, as numbers tie-break, so the answer depends on
// neither the encoding nor the sort algorithm.
//
// Only SORT ... STORE writes (`writes`): then it goes through the log and
// replaces the destination with a list (no TTL), or deletes it when the
// result is empty, and answers the count; otherwise SORT is a read, kept off
// the log (Redis flags SORT `write` for the STORE case only).
//
// Cost: sorting n elements is O(n log n) on the shard's thread, plus one
// lookup per element per pattern; a huge collection holds its shard that
// long, as it holds Redis's one thread. A reply is bounded by a frame
// (LIMIT_EXCEEDED otherwise: page with LIMIT, or use STORE).

import { bytesValue, intValue, NIL, type DataValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type ErrReply, type Reply } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import type { DataCommand } from '../data-command.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { compactBytesOf, fitsCompact } from '../list/list-compact.js';
import { findList, isErr as isListErr } from '../list/list-store.js';
import { QuickList } from '../list/quick-list.js';
import { readSet, isErrReply as isSetErr } from '../set/set-forms.js';
import { membersOf } from '../set/set-members.js';
import { ReplyBudget } from '../set/set-reply.js';
import { compareMembers, type SortedSet } from '../zset/sorted-set.js';
import { readZSet, isErr as isZSetErr } from '../zset/zset-keys.js';
import { wrongKind } from '../wrong-kind.js';
import { limitRange, parseSortArgs, type SortArgs } from './sort-args.js';
import { lookupByPattern } from './sort-pattern.js';
import { sortScoreOf } from './sort-score.js';

export const NOT_A_DOUBLE_MESSAGE = "One or more scores can't be converted into double";

const NOTHING = new Uint8Array(0);

/**
 * The sorted key's collection (an absent key: an empty list). A large list
 * or sorted set is the stored object itself: its elements are copied out
 * (ownOrder) before any pattern key is looked up, since in a write a lookup
 * may remove an expired key.
 */
type Source =
  | { kind: 'list'; size: number; list: QuickList | null }
  | { kind: 'set'; size: number; members: Bytes[] }
  | { kind: 'zset'; size: number; zset: SortedSet };

function sourceAt(keys: KeyAccess, key: Bytes): Source | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return { kind: 'list', size: 0, list: null };
  switch (keys.typeOf(h)) {
    case ValueType.LIST: {
      const found = findList(keys, key);
      if (isListErr(found)) return found;
      return { kind: 'list', size: found.list?.length ?? 0, list: found.list };
    }
    case ValueType.SET: {
      const found = readSet(keys, key);
      if (isSetErr(found)) return found;
      const members = found === null ? [] : membersOf(found.set);
      return { kind: 'set', size: members.length, members };
    }
    case ValueType.ZSET: {
      const found = readZSet(keys, key);
      if (isZSetErr(found)) return found;
      return found === null ? { kind: 'list', size: 0, list: null } : { kind: 'zset', size: found.size, zset: found };
    }
    default:
      return wrongKind();
  }
}

/** Positions [from, to] (0 <= from <= to < size) of the collection in its own order, or walked from the end (`reverse`). */
function ownOrder(source: Source, from: number, to: number, reverse: boolean): Bytes[] {
  if (to < from) return [];
  const lo = reverse ? source.size - 1 - to : from;
  const hi = reverse ? source.size - 1 - from : to;
  let out: Bytes[];
  switch (source.kind) {
    case 'list': out = source.list === null ? [] : source.list.range(lo, hi); break;
    case 'set': out = source.members.slice(lo, hi + 1); break;
    case 'zset': {
      out = [];
      source.zset.each(lo, hi, false, (member) => void out.push(member));
      break;
    }
  }
  return reverse ? out.reverse() : out;
}

interface Weighed { element: Bytes; score: number; weight: Bytes | null }

/** Every element sorted as the options say, or Redis's error when a weight is no number. */
function sorted(keys: KeyAccess, elements: Bytes[], by: Bytes | null, alpha: boolean, desc: boolean): Bytes[] | ErrReply {
  const items: Weighed[] = elements.map((element) => ({ element, score: 0, weight: null }));
  for (const item of items) {
    const value = by === null ? item.element : lookupByPattern(keys, by, item.element);
    // A missing weight sorts as 0 (numbers) or before every present one (ALPHA), as in Redis.
    if (value === null) continue;
    if (alpha) {
      if (by !== null) item.weight = value;
      continue;
    }
    const score = sortScoreOf(value);
    if (score === null) return errReply('BAD_REQUEST', NOT_A_DOUBLE_MESSAGE);
    item.score = score;
  }
  const sign = desc ? -1 : 1;
  const compare = !alpha ? compareByScore : by !== null ? compareByWeight : compareByElement;
  items.sort((a, b) => sign * compare(a, b));
  return items.map((item) => item.element);
}

function compareByScore(a: Weighed, b: Weighed): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return compareMembers(a.element, b.element);
}

function compareByWeight(a: Weighed, b: Weighed): number {
  const byWeight = a.weight === null || b.weight === null
    ? (a.weight === null ? 0 : 1) - (b.weight === null ? 0 : 1)
    : compareMembers(a.weight, b.weight);
  return byWeight !== 0 ? byWeight : compareMembers(a.element, b.element);
}

function compareByElement(a: Weighed, b: Weighed): number {
  return compareMembers(a.element, b.element);
}

/** The elements LIMIT selects, in the order the options say. */
function selected(keys: KeyAccess, source: Source, o: SortArgs): Bytes[] | ErrReply {
  let keepOrder = o.keepOrder;
  let alpha = o.alpha;
  let by = o.by;
  // A set's own order is its encoding's; a stored result must not depend on it (Redis's rule).
  if (keepOrder && source.kind === 'set' && o.store !== null) {
    keepOrder = false;
    alpha = true;
    by = null;
  }
  const [start, end] = limitRange(o.limitStart, o.limitCount, source.size);
  // Without sorting, a list or sorted set is read in its order (DESC: from the end); a set ignores DESC, as in Redis.
  if (keepOrder) return ownOrder(source, start, end, o.desc && source.kind !== 'set');
  const all = sorted(keys, ownOrder(source, 0, source.size - 1, false), by, alpha, o.desc);
  if (!Array.isArray(all)) return all;
  return end < start ? [] : all.slice(start, end + 1);
}

/** The reply: each element, or what each GET pattern names for it (nil when nothing); LIMIT_EXCEEDED past one frame. */
function replyOf(keys: KeyAccess, elements: readonly Bytes[], gets: readonly Bytes[]): Reply {
  const budget = new ReplyBudget(keys.limits.frameBytesMax);
  const items: DataValue[] = [];
  const add = (value: Bytes | null): boolean => {
    items.push(value === null ? NIL : bytesValue(value));
    return budget.take(value ?? NOTHING);
  };
  for (const element of elements) {
    if (gets.length === 0) {
      if (!add(element)) return replyTooLarge(budget.bytesMax);
      continue;
    }
    for (const pattern of gets) if (!add(lookupByPattern(keys, pattern, element))) return replyTooLarge(budget.bytesMax);
  }
  return { ok: true, data: { t: 'array', v: items } };
}

function replyTooLarge(bytesMax: number): ErrReply {
  return errReply('LIMIT_EXCEEDED', `the SORT reply would be over ${bytesMax} bytes (one frame): select fewer elements with LIMIT, or STORE the result`);
}

/**
 * STORE: the destination becomes a list of the elements, or of what the
 * GET patterns name (an empty string when nothing), with no TTL; an empty
 * result deletes it. Every value is read before the destination is written.
 */
function store(keys: KeyAccess, destination: Bytes, elements: readonly Bytes[], gets: readonly Bytes[]): Reply {
  const values: Bytes[] = [];
  for (const element of elements) {
    if (gets.length === 0) values.push(element);
    else for (const pattern of gets) values.push(lookupByPattern(keys, pattern, element) ?? NOTHING);
  }
  const h = keys.find(destination);
  if (values.length === 0) {
    if (h === ABSENT) return { ok: true, data: intValue(0) };
    keys.remove(destination, h);
    return { ok: true, data: intValue(0), version: keys.version };
  }
  const list = QuickList.of(values);
  if (fitsCompact(list, keys.limits)) keys.putBytes(destination, h, ValueType.LIST, compactBytesOf(list), 0);
  else keys.putCollection(destination, h, list, 0);
  return { ok: true, data: intValue(values.length), version: keys.version };
}

function sortCommand(name: 'sort' | 'sort_ro'): DataCommand {
  const readOnly = name === 'sort_ro';
  const storeOf = (args: readonly Bytes[]): Bytes | null => {
    if (args.length === 0) return null;
    const o = parseSortArgs(args, readOnly);
    return typeof o === 'string' ? null : o.store;
  };
  return {
    name, arity: -2,
    // SORT may write (STORE); `writes` says whether this call does.
    write: !readOnly,
    writes: (args) => !readOnly && storeOf(args) !== null,
    // The sorted key, and STORE's destination when the arguments are right (wrong ones are answered by run).
    keys: (args) => {
      // No key at all: a wrong argument count, which validation answers.
      if (args.length === 0) return [];
      const destination = storeOf(args);
      return destination === null ? [args[0]!] : [args[0]!, destination];
    },
    run(keys, args) {
      const o = parseSortArgs(args, readOnly);
      if (typeof o === 'string') return errReply('BAD_REQUEST', o);
      const source = sourceAt(keys, o.key);
      if ('ok' in source) return source;
      const elements = selected(keys, source, o);
      if (!Array.isArray(elements)) return elements;
      return o.store === null ? replyOf(keys, elements, o.gets) : store(keys, o.store, elements, o.gets);
    },
  };
}

export const SORT_COMMANDS: readonly DataCommand[] = [sortCommand('sort'), sortCommand('sort_ro')];
