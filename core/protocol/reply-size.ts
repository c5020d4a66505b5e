// How many bytes a reply's items count for against the frame limit, one
// measure for the shard that builds a page and the dispatcher that joins
// pages and batches of several shards into one reply.

import type { Limits } from '../limits.js';
import type { ItemReply, ScanItem } from './ops.js';

/**
 * Encoding overhead counted per item beyond its key and value bytes (version,
 * flags, length prefixes in every codec), so that a page of many tiny items
 * is bounded too.
 */
export const REPLY_ITEM_OVERHEAD_BYTES = 16;

export function scanItemBytes(item: ScanItem): number {
  return item.key.length + (item.value ? item.value.length : 0) + REPLY_ITEM_OVERHEAD_BYTES;
}

/** Value bytes of an MGET reply: what its limit (frameBytesMax, as on one shard) is measured in. */
export function itemValueBytes(items: readonly ItemReply[]): number {
  let bytes = 0;
  for (const item of items) if (item.value) bytes += item.value.length;
  return bytes;
}

/**
 * Bytes of items one SCAN page may carry: half a frame, so that a page with
 * its cursor and encoding overhead fits a frame in every codec (JSON's
 * escaping included) with room to spare.
 */
export function scanPageBytesMax(limits: Limits): number {
  return Math.floor(limits.frameBytesMax / 2);
}
