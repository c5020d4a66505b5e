// A command's change to one hash, whichever its encoding: a compact hash is
// decoded into pairs, changed and written back as bytes (converting to the
// large table when it outgrows the node's hash-max-listpack-entries,
// hash-max-listpack-value (keys.limits.collections) or its value limit); a large table is changed in place through
// KeyAccess.edit (so a snapshot in progress keeps its pre-image); an emptied
// hash is removed, as in Redis. A table never converts back (Redis's never
// does either).

import type { Bytes } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { bytesEqual } from '../../bytes.js';
import { compactDecode, compactEncode, fitsCompact } from './hash-compact.js';
import { HashTable } from './hash-table.js';

/** What a change may do to a hash; `get` hands out views valid until the next `set`/`delete`. */
export interface HashEditor {
  readonly size: number;
  get(field: Bytes): Uint8Array | null;
  /** True when the field is new. */
  set(field: Bytes, value: Bytes): boolean;
  /** True when the field was there. */
  delete(field: Bytes): boolean;
}

/** A compact hash's pairs while a command changes them. */
class PairsEditor implements HashEditor {
  constructor(readonly fields: Bytes[], readonly values: Bytes[]) {}

  get size(): number {
    return this.fields.length;
  }

  get(field: Bytes): Uint8Array | null {
    const i = this.indexOf(field);
    return i < 0 ? null : this.values[i]!;
  }

  set(field: Bytes, value: Bytes): boolean {
    const i = this.indexOf(field);
    if (i >= 0) {
      this.values[i] = value;
      return false;
    }
    this.fields.push(field);
    this.values.push(value);
    return true;
  }

  delete(field: Bytes): boolean {
    const i = this.indexOf(field);
    if (i < 0) return false;
    this.fields.splice(i, 1);
    this.values.splice(i, 1);
    return true;
  }

  private indexOf(field: Bytes): number {
    for (let i = 0; i < this.fields.length; i++) if (bytesEqual(this.fields[i]!, field)) return i;
    return -1;
  }
}

/**
 * Run `change` on the hash at `key` (handle `h`, a hash or ABSENT; the
 * caller checked its type) and store the result. Call it only when the
 * command does change something: it stamps the key with this entry's version.
 */
export function changeHash<R>(keys: KeyAccess, key: Bytes, h: number, change: (hash: HashEditor) => R): R {
  const table = h === ABSENT ? null : keys.collectionOf(h);
  if (table !== null) {
    const result = keys.edit(h, (c) => change(c as HashTable));
    if ((table as HashTable).size === 0) keys.remove(key, h);
    return result;
  }
  const pairs = h === ABSENT ? new PairsEditor([], []) : pairsOf(keys.bytesOf(h));
  const result = change(pairs);
  if (pairs.size === 0) {
    if (h !== ABSENT) keys.remove(key, h);
  } else {
    // The compact form is the record's value: on a node with a small value limit it converts there too.
    const encoded = fitsCompact(pairs.fields, pairs.values, keys.limits.collections) ? compactEncode(pairs.fields, pairs.values) : null;
    if (encoded !== null && encoded.length <= keys.limits.valueBytesMax) keys.putBytes(key, h, ValueType.HASH, encoded);
    else keys.putCollection(key, h, tableOf(pairs.fields, pairs.values));
  }
  return result;
}

function pairsOf(encoded: Uint8Array): PairsEditor {
  const { fields, values } = compactDecode(encoded);
  return new PairsEditor(fields, values);
}

/** The large table holding these pairs (a compact hash converting), filled in their order. */
export function tableOf(fields: readonly Bytes[], values: readonly Bytes[]): HashTable {
  const table = HashTable.withCapacity(fields.length);
  for (let i = 0; i < fields.length; i++) table.set(fields[i]!, values[i]!);
  return table;
}
