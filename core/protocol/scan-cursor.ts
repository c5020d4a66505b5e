// The shard's SCAN cursor as it travels in requests and replies: the shard
// store's reverse-binary bucket cursor (core/store/scan-cursor.ts), a u32, as
// 4 big-endian bytes. Empty means "from the start" in a request and "this
// shard is done" in a reply, so the store's cursor 0 (start and end alike) is
// never sent as bytes. The node wraps it with the shard's number
// (core/routing/split.ts); RESP turns the pair into one integer
// (core/resp/scan-cursor.ts).

/** Bytes of a shard cursor that is not at its start or end: one u32. */
export const SHARD_CURSOR_BYTES = 4;
/** The largest store cursor (cursors are 32-bit, see core/store/scan-cursor.ts). */
export const SHARD_CURSOR_MAX = 0xffff_ffff;

const EMPTY = new Uint8Array(0);

/** The bytes of a store cursor; empty for 0 (start, or done). */
export function encodeShardCursor(storeCursor: number): Uint8Array {
  if (storeCursor === 0) return EMPTY;
  const out = new Uint8Array(SHARD_CURSOR_BYTES);
  new DataView(out.buffer).setUint32(0, storeCursor);
  return out;
}

/** The store cursor in these bytes (0 for empty), or null when they cannot be a shard cursor. */
export function decodeShardCursor(bytes: Uint8Array): number | null {
  if (bytes.length === 0) return 0;
  if (bytes.length !== SHARD_CURSOR_BYTES) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, SHARD_CURSOR_BYTES).getUint32(0);
}
