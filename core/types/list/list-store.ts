// A list key as commands see it, and how a changed list is stored back: in
// its compact form while it fits (list-compact.ts), as a QuickList beside
// the record past that, removed when emptied (as Redis does).

import { ABSENT, type KeyAccess } from '../key-access.js';
import { wrongKind } from '../wrong-kind.js';
import type { Bytes, ErrReply } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import { compactBytesOf, fitsCompact, listOfCompact, shrinksToCompact } from './list-compact.js';
import { QuickList } from './quick-list.js';

/** A key's list: its handle (ABSENT when there is none) and its elements (null when absent). */
export interface FoundList {
  h: number;
  /** A large list's own object (change it only through changeList), or a copy of a compact one. */
  list: QuickList | null;
}

/** The list at `key`, or WRONGTYPE when the key holds another type. */
export function findList(keys: KeyAccess, key: Bytes): FoundList | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return { h, list: null };
  if (keys.typeOf(h) !== ValueType.LIST) return wrongKind();
  const large = keys.collectionOf(h);
  return { h, list: large !== null ? (large as QuickList) : listOfCompact(keys.bytesOf(h)) };
}

export function isErr(found: FoundList | ErrReply): found is ErrReply {
  return 'ok' in found;
}

/**
 * Change the list found at `key` (an empty one when absent) and store the
 * result: a large list is edited in place (a snapshot in progress keeps its
 * pre-image) and goes back to compact once small; a compact one is stored
 * compact while it fits, else as a QuickList; an emptied list is removed.
 * `change` must not use `keys`. Call only for a change that happens (Redis
 * signals no write when nothing changes, and neither do we).
 */
export function changeList<R>(keys: KeyAccess, key: Bytes, found: FoundList, change: (list: QuickList) => R): R {
  const { h } = found;
  if (found.list !== null && keys.collectionOf(h) !== null) {
    const list = found.list;
    const result = keys.edit(h, () => change(list));
    if (list.length === 0) keys.remove(key, h);
    else if (shrinksToCompact(list, keys.limits)) keys.putBytes(key, h, ValueType.LIST, compactBytesOf(list));
    return result;
  }
  const list = found.list ?? new QuickList();
  const result = change(list);
  if (list.length === 0) {
    if (h !== ABSENT) keys.remove(key, h);
  } else if (fitsCompact(list, keys.limits)) {
    keys.putBytes(key, h, ValueType.LIST, compactBytesOf(list));
  } else {
    keys.putCollection(key, h, list);
  }
  return result;
}
