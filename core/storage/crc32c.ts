// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, one
// byte at a time. It guards every record, header and snapshot on disk: it
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

/**
 * Continues a CRC over `bytes[start, end)`. Start a fresh one with crc = 0;
 * the pre- and post-inversion are inside, so chunks chain:
 * crc32c(b, crc32c(a)) === crc32c(a ++ b).
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
