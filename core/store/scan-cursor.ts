// Redis's reverse-binary SCAN cursor over a power-of-two table. The cursor is
// a bucket index whose bits are incremented from the top down (reverse the
// bits, add one, reverse back), so the buckets already visited in a table of
// 2^n slots are exactly those already visited, expanded, in a table of
// 2^(n+1) (and, folded, in 2^(n-1)). That is why a key present for a whole
// scan is returned at least once across any number of resizes in either
// direction, without the scan keeping any state but the cursor: a bucket
// visited before a grow was split into buckets behind the cursor, and a
// bucket folded by a shrink is visited again at most (duplicates possible,
// misses not). The scan ends when the cursor wraps to 0.
//
// Cursors are 32-bit, so tables have at most 2^31 slots.

/** The 32 bits of `v` in reverse order. */
export function reverseBits32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/** The cursor after `cursor` in a table whose slot mask is `mask`: the next bucket in reverse-binary order; 0 after the last. */
export function scanCursorNext(cursor: number, mask: number): number {
  // Set the bits above the mask so the increment carries past them into oblivion.
  const v = (cursor | ~mask) >>> 0;
  return reverseBits32((reverseBits32(v) + 1) >>> 0);
}
