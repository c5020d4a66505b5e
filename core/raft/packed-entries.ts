// A run of log entries as a restart reads them: per entry its term, its kind
// and where its data lie in a record payload (the file's bytes), in typed
// arrays; an Entry object is made only when one is asked for. A restart
// after 1M keys holds ~505,000 entries from load until they are applied, and
// an object plus a view each (~100 MB of heap) kept the collector busy
// through the snapshot's restore (docs/durability.md, "Restart").

import { assert } from '../assert.js';
import type { Entry } from './raft-types.js';

/** The data of an entry with none, and of an entry a snapshot covers (never read). */
export const EMPTY_DATA = new Uint8Array(0);

const KIND_CONF = 1;

export class PackedEntries {
  private terms = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private payloadIds = new Uint32Array(1024);
  private starts = new Uint32Array(1024);
  private ends = new Uint32Array(1024);
  private payloads: Uint8Array[] = [];
  /** Slots [head, size) hold the entries; the one at head has index `first`. */
  private head = 0;
  private size = 0;

  constructor(public first: number) {}

  get length(): number {
    return this.size - this.head;
  }

  /** Another run over the same entries, from here on trimmed on its own (RaftLog's, so the storage's stays as loaded). */
  clone(): PackedEntries {
    const c = new PackedEntries(this.first);
    c.terms = this.terms;
    c.kinds = this.kinds;
    c.payloadIds = this.payloadIds;
    c.starts = this.starts;
    c.ends = this.ends;
    c.payloads = this.payloads;
    c.head = this.head;
    c.size = this.size;
    return c;
  }

  /** Payloads the entries pushed next point into (each record's once). */
  addPayload(payload: Uint8Array): number {
    this.payloads.push(payload);
    return this.payloads.length - 1;
  }

  /** The next entry: data payload[start, end) (start === end: none or not kept). */
  push(term: number, kind: Entry['kind'], payloadId: number, start: number, end: number): void {
    if (this.size === this.terms.length) this.grow();
    const at = this.size++;
    this.terms[at] = term;
    this.kinds[at] = kind === 'conf' ? KIND_CONF : 0;
    this.payloadIds[at] = payloadId;
    this.starts[at] = start;
    this.ends[at] = end;
  }

  /** Keep the first `length` entries. */
  truncate(length: number): void {
    assert(length >= 0 && length <= this.length, () => `truncate to ${length} of ${this.length}`);
    this.size = this.head + length;
  }

  /** Drop the first `count` entries. */
  dropFront(count: number): void {
    assert(count >= 0 && count <= this.length, () => `drop ${count} of ${this.length}`);
    this.head += count;
    this.first += count;
  }

  /** The term of the i-th entry (index first + i). */
  term(i: number): number {
    return this.terms[this.head + i]!;
  }

  /** The i-th entry (index first + i), made now. */
  entry(i: number): Entry {
    const at = this.head + i;
    const start = this.starts[at]!;
    const end = this.ends[at]!;
    return {
      index: this.first + i,
      term: this.terms[at]!,
      kind: this.kinds[at] === KIND_CONF ? 'conf' : 'normal',
      data: start === end ? EMPTY_DATA : this.payloads[this.payloadIds[at]!]!.subarray(start, end),
    };
  }

  /** Entries [from, to) made now. */
  slice(from: number, to: number): Entry[] {
    const out: Entry[] = [];
    for (let i = from; i < to; i++) out.push(this.entry(i));
    return out;
  }

  toArray(): Entry[] {
    return this.slice(0, this.length);
  }

  private grow(): void {
    const n = this.terms.length * 2;
    const terms = new Float64Array(n); terms.set(this.terms); this.terms = terms;
    const kinds = new Uint8Array(n); kinds.set(this.kinds); this.kinds = kinds;
    const ids = new Uint32Array(n); ids.set(this.payloadIds); this.payloadIds = ids;
    const starts = new Uint32Array(n); starts.set(this.starts); this.starts = starts;
    const ends = new Uint32Array(n); ends.set(this.ends); this.ends = ends;
  }
}

/** Stored entries: a plain array, or packed (a restart from files). */
export type StoredEntries = readonly Entry[] | PackedEntries;

/** Stored entries as an array (an Entry each made now if packed): for tests and tools. */
export function storedEntryArray(entries: StoredEntries): readonly Entry[] {
  return entries instanceof PackedEntries ? entries.toArray() : entries;
}

/** The terms of stored entries, in order, with no Entry made. */
export function storedEntryTerms(entries: StoredEntries): number[] {
  const terms: number[] = [];
  if (entries instanceof PackedEntries) for (let i = 0; i < entries.length; i++) terms.push(entries.term(i));
  else for (const e of entries) terms.push(e.term);
  return terms;
}
