// Unsigned LEB128 lengths, as the collections' byte layouts store them (a
// hash entry's field and value lengths, a set's and a sorted set's member
// lengths, a list element's header): one place for their size and writing.

/** Bytes of the varint holding `n` (a non-negative safe integer). */
export function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** Write `n` as a varint at `at`; returns the position after it. */
export function putVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}
