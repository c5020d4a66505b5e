// The large hash's snapshot image: its layout (hash-table-layout.ts) copied
// byte for byte, so restoring it rebuilds the same pages and slots and the
// restored table changes, scans and draws exactly as the original
// (core/store/collection.ts, the replication invariant). Also what the
// content digest hashes.
//
// Layout (little-endian, as typed arrays are on every platform Node runs on):
//   [tag HASH_TABLE_TAG u8][image version u8][0 u16]
//   [count u32][slots u32][page count u32][bump page u32][bump offset u32]
//   [garbage bytes f64][live bytes f64]
//   [page lengths u32 x pages][addrs u32 x slots][tags u8 x slots][pages' bytes]

import { assert } from '../../assert.js';
import { EntryView, HASH_PAGE_BYTES, HASH_PAGES_MAX, type HashTableLayout } from './hash-table-layout.js';

/** First byte of a large hash's image; a compact hash starts with HASH_COMPACT_TAG (hash-compact.ts). */
export const HASH_TABLE_TAG = 0x02;
/** Bumped if the layout ever changes; an image of another version is refused. */
const IMAGE_VERSION = 1;
const HEADER_BYTES = 40;
/** Slots an image may declare: the index is sized by its fields, and 2^31 is beyond any shard's memory. */
const IMAGE_SLOTS_MAX = 2 ** 31;

assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'hash images assume a little-endian machine');

export function encodeHashTable(s: Readonly<HashTableLayout>): Uint8Array {
  const slots = s.addrs.length;
  let pageBytes = 0;
  for (const page of s.pages) pageBytes += page.length;
  const out = new Uint8Array(HEADER_BYTES + s.pages.length * 4 + slots * 5 + pageBytes);
  const dv = new DataView(out.buffer);
  out[0] = HASH_TABLE_TAG;
  out[1] = IMAGE_VERSION;
  dv.setUint32(4, s.count, true);
  dv.setUint32(8, slots, true);
  dv.setUint32(12, s.pages.length, true);
  dv.setUint32(16, s.bumpPage, true);
  dv.setUint32(20, s.bumpOffset, true);
  dv.setFloat64(24, s.garbageBytes, true);
  dv.setFloat64(32, s.liveBytes, true);
  let at = HEADER_BYTES;
  for (const page of s.pages) {
    dv.setUint32(at, page.length, true);
    at += 4;
  }
  out.set(new Uint8Array(s.addrs.buffer, s.addrs.byteOffset, slots * 4), at);
  at += slots * 4;
  out.set(s.tags, at);
  at += slots;
  for (const page of s.pages) {
    out.set(page, at);
    at += page.length;
  }
  assert(at === out.length, 'a hash image filled to its end');
  return out;
}

/** The layout an image describes (fresh copies of its arrays), or what is wrong with it. */
export function decodeHashTable(bytes: Uint8Array): HashTableLayout | string {
  if (bytes.length < HEADER_BYTES || bytes[0] !== HASH_TABLE_TAG) return 'not a hash table image';
  if (bytes[1] !== IMAGE_VERSION) return `a hash table image of version ${bytes[1]}`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = dv.getUint32(4, true);
  const slots = dv.getUint32(8, true);
  const pageCount = dv.getUint32(12, true);
  const bumpPage = dv.getUint32(16, true);
  const bumpOffset = dv.getUint32(20, true);
  const garbageBytes = dv.getFloat64(24, true);
  const liveBytes = dv.getFloat64(32, true);
  if (slots < 2 || slots > IMAGE_SLOTS_MAX || (slots & (slots - 1)) !== 0) return `a hash table of ${slots} slots`;
  if (count === 0 || count >= slots) return `a hash table of ${count} fields in ${slots} slots`;
  if (pageCount === 0 || pageCount > HASH_PAGES_MAX || bumpPage >= pageCount || bumpOffset > HASH_PAGE_BYTES) return 'a hash table image with bad page numbers';
  if (!(garbageBytes >= 0 && liveBytes >= 0)) return 'a hash table image with bad byte counts';
  let at = HEADER_BYTES;
  if (at + pageCount * 4 + slots * 5 > bytes.length) return 'a hash table image ends early';
  const pageLengths: number[] = [];
  let pageBytes = 0;
  for (let i = 0; i < pageCount; i++, at += 4) {
    const length = dv.getUint32(at, true);
    pageLengths.push(length);
    pageBytes += length;
  }
  if (pageLengths[bumpPage] !== HASH_PAGE_BYTES) return 'a hash table image whose newest page is not an ordinary one';
  if (at + slots * 5 + pageBytes !== bytes.length) return 'a hash table image of the wrong length';
  const addrs = new Uint32Array(bytes.slice(at, at + slots * 4).buffer);
  at += slots * 4;
  const tags = bytes.slice(at, at + slots);
  at += slots;
  const pages: Uint8Array[] = [];
  for (const length of pageLengths) {
    pages.push(bytes.slice(at, at + length));
    at += length;
  }
  const problem = checkEntries(pages, addrs, count);
  if (problem !== null) return problem;
  return { pages, bumpPage, bumpOffset, addrs, tags, count, garbageBytes, liveBytes };
}

/** Every used slot points at an entry inside its page, and `count` slots are used. */
function checkEntries(pages: readonly Uint8Array[], addrs: Uint32Array, count: number): string | null {
  const view = new EntryView();
  let used = 0;
  for (let i = 0; i < addrs.length; i++) {
    if (addrs[i] === 0) continue;
    used++;
    if (!view.locate(pages, addrs[i]!)) return `a hash table image's slot ${i} points outside its pages`;
  }
  return used === count ? null : `a hash table image counts ${count} fields but has ${used}`;
}
