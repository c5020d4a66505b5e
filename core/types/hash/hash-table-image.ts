// The large hash's snapshot image: its pages (hash-table-layout.ts) and its
// index (core/store/hash-index.ts, both tables and the drain position while
// it resizes) copied byte for byte, so restoring it rebuilds the same pages
// and slots and the restored table changes, scans and draws exactly as the
// original (core/store/collection.ts, the replication invariant). Also what
// the content digest hashes.
//
// Layout (little-endian, as typed arrays are on every platform Node runs on):
//   [tag HASH_TABLE_TAG u8][image version u8][0 u16]
//   [count u32][page count u32][bump page u32][bump offset u32]
//   [evacuate page u32][garbage bytes f64][live bytes f64]
//   [page lengths u32 x pages][pages' bytes][the index's image]
//
// Version 1 (before the index was the store's incremental one) had one
// index table in place of the last part: [slots u32] after the count in the
// header, and [addrs u32 x slots][tags u8 x slots] before the pages. It is
// still read (a snapshot written before the change): the table then
// inserts those addresses into a fresh index in their slot order, which
// every replica restoring the same image does alike.

import { assert } from '../../assert.js';
import { EntryView, HASH_PAGE_BYTES, HASH_PAGES_MAX, type HashTableLayout } from './hash-table-layout.js';

/** First byte of a large hash's image; a compact hash starts with HASH_COMPACT_TAG (hash-compact.ts). */
export const HASH_TABLE_TAG = 0x02;
/** Bumped when the layout changes; an image of an unknown version is refused. */
const IMAGE_VERSION = 2;
const HEADER_BYTES = 40;
const V1_HEADER_BYTES = 40;
/** Slots a version 1 image may declare: the index is sized by its fields, and 2^31 is beyond any shard's memory. */
const V1_SLOTS_MAX = 2 ** 31;

assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'hash images assume a little-endian machine');

/** What an image holds besides its index: the pages and counters, and where the index is. */
export type DecodedHashImage =
  /** The index's image (HashIndex.readImage) starts at `indexAt` of `view` and runs to its end. */
  | { layout: HashTableLayout; count: number; view: DataView; indexAt: number }
  /** A version 1 image: its one table's used slots, in slot order, to insert into a fresh index. */
  | { layout: HashTableLayout; count: number; slotOrder: Uint32Array };

/** The image of a table with `layout` and `count` fields; `index` writes the index's image (HashIndex.writeImage) where it is given. */
export function encodeHashTable(
  s: Readonly<HashTableLayout>, count: number, indexBytes: number, writeIndex: (out: DataView, at: number) => number,
): Uint8Array {
  let pageBytes = 0;
  for (const page of s.pages) pageBytes += page.length;
  const out = new Uint8Array(HEADER_BYTES + s.pages.length * 4 + pageBytes + indexBytes);
  const dv = new DataView(out.buffer);
  out[0] = HASH_TABLE_TAG;
  out[1] = IMAGE_VERSION;
  dv.setUint32(4, count, true);
  dv.setUint32(8, s.pages.length, true);
  dv.setUint32(12, s.bumpPage, true);
  dv.setUint32(16, s.bumpOffset, true);
  dv.setUint32(20, s.evacuatePage, true);
  dv.setFloat64(24, s.garbageBytes, true);
  dv.setFloat64(32, s.liveBytes, true);
  let at = HEADER_BYTES;
  for (const page of s.pages) {
    dv.setUint32(at, page.length, true);
    at += 4;
  }
  for (const page of s.pages) {
    out.set(page, at);
    at += page.length;
  }
  at = writeIndex(dv, at);
  assert(at === out.length, 'a hash image filled to its end');
  return out;
}

/** The pages and counters of an image (fresh copies), and where its index is; or what is wrong with it. */
export function decodeHashTable(bytes: Uint8Array): DecodedHashImage | string {
  if (bytes.length < 2 || bytes[0] !== HASH_TABLE_TAG) return 'not a hash table image';
  if (bytes[1] === 1) return decodeVersion1(bytes);
  if (bytes[1] !== IMAGE_VERSION) return `a hash table image of version ${bytes[1]}`;
  if (bytes.length < HEADER_BYTES) return 'a hash table image ends early';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = dv.getUint32(4, true);
  const pageCount = dv.getUint32(8, true);
  const header = readCounters(dv, 12, 24);
  if (typeof header === 'string') return header;
  if (count === 0) return 'a hash table image of no fields';
  const pages = readPages(bytes, dv, HEADER_BYTES, pageCount, header.bumpPage, header.bumpOffset);
  if (typeof pages === 'string') return pages;
  const evacuatePage = dv.getUint32(20, true);
  if (evacuatePage === 0 || evacuatePage >= Math.max(pageCount, 2)) return 'a hash table image with a bad evacuation cursor';
  return { layout: { pages: pages.pages, ...header, evacuatePage }, count, view: dv, indexAt: pages.end };
}

/** The bump page and offset at `at`, the garbage and live byte counts at `countsAt`. */
function readCounters(dv: DataView, at: number, countsAt: number): { bumpPage: number; bumpOffset: number; garbageBytes: number; liveBytes: number } | string {
  const garbageBytes = dv.getFloat64(countsAt, true);
  const liveBytes = dv.getFloat64(countsAt + 8, true);
  if (!(garbageBytes >= 0 && liveBytes >= 0)) return 'a hash table image with bad byte counts';
  return { bumpPage: dv.getUint32(at, true), bumpOffset: dv.getUint32(at + 4, true), garbageBytes, liveBytes };
}

/** `pageCount` page lengths at `at`, then the pages' bytes (copies); where they end. */
function readPages(
  bytes: Uint8Array, dv: DataView, at: number, pageCount: number, bumpPage: number, bumpOffset: number,
): { pages: Uint8Array[]; end: number } | string {
  if (pageCount === 0 || pageCount > HASH_PAGES_MAX || bumpPage >= pageCount) return 'a hash table image with bad page numbers';
  if (at + pageCount * 4 > bytes.length) return 'a hash table image ends early';
  const pageLengths: number[] = [];
  for (let i = 0; i < pageCount; i++, at += 4) pageLengths.push(dv.getUint32(at, true));
  const bumpLength = pageLengths[bumpPage]!;
  if (bumpLength === 0 || bumpLength > HASH_PAGE_BYTES || bumpOffset > bumpLength) return 'a hash table image whose newest page is not an ordinary one';
  const pages: Uint8Array[] = [];
  for (const length of pageLengths) {
    if (at + length > bytes.length) return 'a hash table image ends early';
    pages.push(bytes.slice(at, at + length));
    at += length;
  }
  return { pages, end: at };
}

/** A version 1 image: [header with slots][page lengths][addrs][tags][pages]. */
function decodeVersion1(bytes: Uint8Array): DecodedHashImage | string {
  if (bytes.length < V1_HEADER_BYTES) return 'a hash table image ends early';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = dv.getUint32(4, true);
  const slots = dv.getUint32(8, true);
  const pageCount = dv.getUint32(12, true);
  const header = readCounters(dv, 16, 24);
  if (typeof header === 'string') return header;
  if (slots < 2 || slots > V1_SLOTS_MAX || (slots & (slots - 1)) !== 0) return `a hash table of ${slots} slots`;
  if (count === 0 || count >= slots) return `a hash table of ${count} fields in ${slots} slots`;
  if (pageCount === 0 || pageCount > HASH_PAGES_MAX) return 'a hash table image with bad page numbers';
  const lengthsAt = V1_HEADER_BYTES;
  const addrsAt = lengthsAt + pageCount * 4;
  const pagesAt = addrsAt + slots * 5;
  if (pagesAt > bytes.length) return 'a hash table image ends early';
  // The pages come after the index here: read their lengths, then the pages from pagesAt.
  const lengths = new DataView(bytes.buffer, bytes.byteOffset + lengthsAt, pageCount * 4);
  let pageBytes = 0;
  for (let i = 0; i < pageCount; i++) pageBytes += lengths.getUint32(i * 4, true);
  if (pagesAt + pageBytes !== bytes.length) return 'a hash table image of the wrong length';
  const rearranged = new Uint8Array(pageCount * 4 + pageBytes);
  rearranged.set(bytes.subarray(lengthsAt, addrsAt), 0);
  rearranged.set(bytes.subarray(pagesAt), pageCount * 4);
  const pages = readPages(rearranged, new DataView(rearranged.buffer), 0, pageCount, header.bumpPage, header.bumpOffset);
  if (typeof pages === 'string') return pages;
  const addrs = new Uint32Array(bytes.slice(addrsAt, addrsAt + slots * 4).buffer);
  const slotOrder = addrs.filter((addr) => addr !== 0);
  if (slotOrder.length !== count) return `a hash table image counts ${count} fields but has ${slotOrder.length}`;
  return { layout: { pages: pages.pages, ...header, evacuatePage: 1 }, count, slotOrder };
}

/** Null when every address points at an entry inside its page, else what is wrong. */
export function checkEntries(pages: readonly Uint8Array[], addrs: Iterable<number>): string | null {
  const view = new EntryView();
  for (const addr of addrs) if (!view.locate(pages, addr)) return 'a hash table image points outside its pages';
  return null;
}
