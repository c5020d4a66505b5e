// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven,
// eight bytes at a time (slicing-by-8: eight tables, one lookup per byte but
// no serial dependency between them), the tail one byte at a time. It guards every record, header and snapshot on disk: it
// detects every burst error up to 32 bits and all odd bit-count errors, which
// is what torn writes and latent bit flips look like. Pure: runs in the
// simulator and the browser as well as on a node.

const POLY_REFLECTED = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** SLICES[k][n]: the CRC contribution of byte n followed by k zero bytes (SLICES[0] is TABLE). */
const SLICES: readonly Uint32Array[] = (() => {
  const slices = [TABLE];
  for (let k = 1; k < 8; k++) {
    const prev = slices[k - 1]!;
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) table[n] = (prev[n]! >>> 8) ^ TABLE[prev[n]! & 0xff]!;
    slices.push(table);
  }
  return slices;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = SLICES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/**
 * Continues a CRC over `bytes[start, end)`. Start a fresh one with crc = 0;
 * the pre- and post-inversion are inside, so chunks chain:
 * crc32c(b, crc32c(a)) === crc32c(a ++ b).
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  let c = ~crc >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    const hi = (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24)) >>> 0;
    c = T7[lo & 0xff]! ^ T6[(lo >>> 8) & 0xff]! ^ T5[(lo >>> 16) & 0xff]! ^ T4[lo >>> 24]!
      ^ T3[hi & 0xff]! ^ T2[(hi >>> 8) & 0xff]! ^ T1[(hi >>> 16) & 0xff]! ^ T0[hi >>> 24]!;
  }
  for (; i < end; i++) c = T0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
