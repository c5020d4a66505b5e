// A set key in whichever form it is stored (set-encoding.ts), behind one
// interface (set-members.ts): readers over the compact bytes, an editor that
// applies changes to a compact set and converts it when it outgrows its form,
// and the three ways a command reaches a stored set (read, change, store).

import { bytesEqual } from '../../bytes.js';
import type { ErrReply } from '../../protocol/ops.js';
import type { Random } from '../../random.js';
import { ValueType } from '../../store/value-type.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { wrongKind } from '../wrong-kind.js';
import { intsetAt, intsetCount, intsetEncode, intsetIndexOf, intsetMemberText, intsetValueOf, intsetValues } from './set-intset.js';
import { LargeSet } from './large-set.js';
import { listpackCount, listpackEncode, listpackForEach, listpackIndexOf } from './set-listpack.js';
import type { CollectionThresholds } from '../collection-thresholds.js';
import { SET_COMPACT_MEMBER_FORMAT_MAX, SetTag } from './set-encoding.js';
import type { MutableSetMembers, SetMembers } from './set-members.js';

class IntsetReader implements SetMembers {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return intsetCount(this.bytes);
  }
  has(member: Uint8Array): boolean {
    const value = intsetValueOf(member);
    return value !== null && intsetIndexOf(this.bytes, value) >= 0;
  }
  forEach(fn: (member: Uint8Array) => void): void {
    const n = this.size;
    for (let i = 0; i < n; i++) fn(intsetMemberText(intsetAt(this.bytes, i)));
  }
  randomMember(random: Random): Uint8Array {
    return intsetMemberText(intsetAt(this.bytes, random.int(0, this.size - 1)));
  }
}

class ListpackReader implements SetMembers {
  /** Each member's view, made on the first random draw: SRANDMEMBER -N draws N times. */
  private members: Uint8Array[] | null = null;

  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return listpackCount(this.bytes);
  }
  has(member: Uint8Array): boolean {
    return member.length <= SET_COMPACT_MEMBER_FORMAT_MAX && listpackIndexOf(this.bytes, member) >= 0;
  }
  forEach(fn: (member: Uint8Array) => void): void {
    listpackForEach(this.bytes, (m) => {
      fn(m); // never stops early, whatever fn returns
    });
  }
  randomMember(random: Random): Uint8Array {
    if (this.members === null) {
      const members: Uint8Array[] = [];
      listpackForEach(this.bytes, (m) => void members.push(m));
      this.members = members;
    }
    return this.members[random.int(0, this.members.length - 1)]!;
  }
}

/** A reader over a compact encoding's bytes (valid while the bytes are). */
export function compactReader(bytes: Uint8Array): SetMembers {
  return bytes[0] === SetTag.INTSET ? new IntsetReader(bytes) : new ListpackReader(bytes);
}

/** The longest text of these ascending integers: the smallest's or the largest's (a minus sign counts). */
function intsTextBytesMax(ints: readonly bigint[]): number {
  return ints.length === 0 ? 0 : Math.max(ints[0]!.toString().length, ints[ints.length - 1]!.toString().length);
}

/**
 * A compact set decoded for change: integers while an intset, members while a
 * listpack, and a LargeSet once it outgrows both, with Redis 7.2's rules
 * under the node's thresholds: an integer joins an intset until it holds
 * set-max-intset-entries; past that, or on another member, the intset turns
 * into a listpack when the listpack would fit (else into the large form); a
 * listpack turns large past set-max-listpack-entries members or on a member
 * over set-max-listpack-value bytes.
 */
export class CompactSetEditor implements MutableSetMembers {
  private ints: bigint[] | null = null;
  private items: Uint8Array[] | null = null;
  large: LargeSet | null = null;
  changed = false;

  constructor(bytes: Uint8Array | null, private readonly thresholds: CollectionThresholds) {
    if (bytes === null || bytes[0] === SetTag.INTSET) this.ints = bytes === null ? [] : intsetValues(bytes);
    else {
      this.items = [];
      listpackForEach(bytes, (m) => void this.items!.push(m.slice()));
    }
  }

  get size(): number {
    return this.large?.size ?? this.ints?.length ?? this.items!.length;
  }

  has(member: Uint8Array): boolean {
    if (this.large !== null) return this.large.has(member);
    if (this.ints !== null) {
      const value = intsetValueOf(member);
      return value !== null && this.intIndex(value) >= 0;
    }
    return this.itemIndex(member) >= 0;
  }

  forEach(fn: (member: Uint8Array) => void): void {
    if (this.large !== null) this.large.forEach(fn);
    else if (this.ints !== null) for (const v of this.ints) fn(intsetMemberText(v));
    else for (const m of this.items!) fn(m);
  }

  randomMember(random: Random): Uint8Array {
    if (this.large !== null) return this.large.randomMember(random);
    const i = random.int(0, this.size - 1);
    return this.ints !== null ? intsetMemberText(this.ints[i]!) : this.items![i]!;
  }

  add(member: Uint8Array): boolean {
    const added = this.addToForm(member);
    this.changed ||= added;
    return added;
  }

  remove(member: Uint8Array): boolean {
    let removed: boolean;
    if (this.large !== null) removed = this.large.remove(member);
    else if (this.ints !== null) {
      const value = intsetValueOf(member);
      const i = value === null ? -1 : this.intIndex(value);
      if (i >= 0) this.ints.splice(i, 1);
      removed = i >= 0;
    } else {
      const i = this.itemIndex(member);
      if (i >= 0) this.items!.splice(i, 1);
      removed = i >= 0;
    }
    this.changed ||= removed;
    return removed;
  }

  /** The compact encoding (when not large and not empty). */
  encode(): Uint8Array {
    return this.ints !== null ? intsetEncode(this.ints) : listpackEncode(this.items!);
  }

  private addToForm(member: Uint8Array): boolean {
    if (this.large !== null) return this.large.add(member);
    if (this.ints !== null) {
      const value = intsetValueOf(member);
      if (value !== null) {
        const i = this.intIndex(value);
        if (i >= 0) return false;
        this.ints.splice(-i - 1, 0, value);
        if (this.ints.length > this.thresholds.setIntsetEntriesMax) this.intsToListpackOrLarge(null);
        return true;
      }
      if (this.intsToListpackOrLarge(member) === 'large') return this.large!.add(member);
    }
    const items = this.items!;
    if (this.itemIndex(member) >= 0) return false;
    if (items.length >= this.thresholds.setCompactEntriesMax || member.length > this.thresholds.setCompactMemberBytesMax) {
      return this.toLarge().add(member);
    }
    items.push(member.slice());
    return true;
  }

  /** The intset becomes a listpack when it (with `adding`, a non-integer about to join, if any) would fit one, else the large form. */
  private intsToListpackOrLarge(adding: Uint8Array | null): 'listpack' | 'large' {
    const ints = this.ints!;
    const t = this.thresholds;
    const count = ints.length + (adding === null ? 0 : 1);
    const longest = Math.max(intsTextBytesMax(ints), adding?.length ?? 0);
    const fits = count <= t.setCompactEntriesMax && longest <= t.setCompactMemberBytesMax;
    if (!fits) {
      this.toLarge();
      return 'large';
    }
    this.items = ints.map(intsetMemberText);
    this.ints = null;
    return 'listpack';
  }

  /** The large form now, whatever the thresholds say (a compact encoding over the node's value limit). */
  toLarge(): LargeSet {
    const large = new LargeSet();
    this.forEach((m) => large.add(m));
    this.large = large;
    this.ints = null;
    this.items = null;
    return large;
  }

  private intIndex(value: bigint): number {
    const ints = this.ints!;
    let lo = 0;
    let hi = ints.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = ints[mid]!;
      if (x === value) return mid;
      if (x < value) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  private itemIndex(member: Uint8Array): number {
    return this.items!.findIndex((m) => m.length === member.length && bytesEqual(m, member));
  }
}

/** A set key as stored: its handle, its members, and the large object when it is one. */
export interface StoredSet {
  h: number;
  set: SetMembers;
  large: LargeSet | null;
}

/** The set at `key`; null when absent; WRONGTYPE when it holds another type. */
export function readSet(keys: KeyAccess, key: Uint8Array): StoredSet | null | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return null;
  if (keys.typeOf(h) !== ValueType.SET) return wrongKind();
  const large = keys.collectionOf(h) as LargeSet | null;
  return { h, set: large ?? compactReader(keys.bytesOf(h)), large };
}

export function isErrReply(x: object | null): x is ErrReply {
  return x !== null && 'ok' in x && x.ok === false;
}

/**
 * Change the set at `key` (`stored`: what readSet found, null when absent)
 * through `change`, then store it: a large set is edited in place, a compact
 * one re-encoded (or made large); an emptied set is removed. Call only when
 * something will change (the key takes this entry's version).
 */
export function changeSet<R>(keys: KeyAccess, key: Uint8Array, stored: StoredSet | null, change: (set: MutableSetMembers) => R): R {
  if (stored !== null && stored.large !== null) {
    const large = stored.large;
    const result = keys.edit(stored.h, () => change(large));
    if (large.size === 0) keys.remove(key, stored.h);
    return result;
  }
  const editor = new CompactSetEditor(stored === null ? null : keys.bytesOf(stored.h), keys.limits.collections);
  const result = change(editor);
  if (editor.changed) putEdited(keys, key, stored === null ? ABSENT : stored.h, editor);
  return result;
}

/** Replace whatever `key` holds with a new set of `members` (no expiry), or remove it when there are none; the set's size. */
export function storeSet(keys: KeyAccess, key: Uint8Array, members: readonly Uint8Array[]): number {
  const h = keys.find(key);
  const editor = new CompactSetEditor(null, keys.limits.collections);
  for (const m of members) editor.add(m);
  if (editor.size === 0) {
    if (h !== ABSENT) keys.remove(key, h);
    return 0;
  }
  putEdited(keys, key, h, editor, 0);
  return editor.size;
}

function putEdited(keys: KeyAccess, key: Uint8Array, h: number, editor: CompactSetEditor, expireAtMs?: number): void {
  if (editor.size === 0) {
    if (h !== ABSENT) keys.remove(key, h);
    return;
  }
  const encoded = editor.large === null ? editor.encode() : null;
  // A compact form is the record's value: on a node with a small value limit it goes large there too.
  if (encoded !== null && encoded.length <= keys.limits.valueBytesMax) keys.putBytes(key, h, ValueType.SET, encoded, expireAtMs);
  else keys.putCollection(key, h, editor.large ?? editor.toLarge(), expireAtMs);
}
