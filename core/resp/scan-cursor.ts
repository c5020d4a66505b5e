// RESP SCAN cursors: Redis's cursor is one unsigned integer, and a node's
// scan cursor (core/routing/split.ts: shard, then the shard store's u32
// cursor, core/protocol/scan-cursor.ts) fits one: shard * 2^32 + store
// cursor, below 2^48, so exact in a double. 0 is "start" and "done", as in
// Redis. Stateless: any connection, or a client that reconnects, can go on
// with a cursor, and no table of cursors is kept on the node.

import { decodeShardCursor, encodeShardCursor } from '../protocol/scan-cursor.js';
import { decodeScanCursor, encodeScanCursor } from '../routing/split.js';

const SHARD_CURSOR_SPAN = 0x1_0000_0000;
const EMPTY = new Uint8Array(0);

/** The integer for a node's scan cursor (0 for the empty one: done), or null when it is not a node cursor. */
export function respCursorOf(nodeCursor: Uint8Array, shardCount: number): number | null {
  if (nodeCursor.length === 0) return 0;
  const decoded = decodeScanCursor(nodeCursor, shardCount);
  if (decoded === null) return null;
  const inner = decodeShardCursor(decoded.inner);
  if (inner === null) return null;
  return decoded.shard * SHARD_CURSOR_SPAN + inner;
}

/** The node's scan cursor for a RESP cursor (0: from the start), or null when no scan of this node hands it out. */
export function nodeCursorOf(cursor: number, shardCount: number): Uint8Array | null {
  if (!Number.isSafeInteger(cursor) || cursor < 0) return null;
  if (cursor === 0) return EMPTY;
  const shard = Math.floor(cursor / SHARD_CURSOR_SPAN);
  if (shard >= shardCount) return null;
  return encodeScanCursor(shard, encodeShardCursor(cursor % SHARD_CURSOR_SPAN));
}
