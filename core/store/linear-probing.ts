// Deletion from a linear-probing table of addresses and fingerprint tags
// without tombstones, shared by the store's key index (hash-index.ts) and
// the large hash (core/types/hash/hash-table.ts).

/**
 * Empty slot `i` and shift back the entries after it that may move (Knuth's
 * algorithm R): an entry at j with home h fills the hole unless h lies
 * cyclically in (hole, j], which would put it before its home. `hashOf`
 * gives an address's full hash (its home is the hash's low bits).
 */
export function deleteShiftingBack(addrs: Uint32Array, tags: Uint8Array, i: number, hashOf: (addr: number) => number): void {
  const mask = addrs.length - 1;
  let hole = i;
  for (let j = (i + 1) & mask; addrs[j] !== 0; j = (j + 1) & mask) {
    const home = hashOf(addrs[j]!) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      addrs[hole] = addrs[j]!;
      tags[hole] = tags[j]!;
      hole = j;
    }
  }
  addrs[hole] = 0;
  tags[hole] = 0;
}
