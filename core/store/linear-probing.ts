// Deleting from an open-addressing table with linear probing without
// tombstones (Knuth's algorithm R), shared by the store's key index
// (hash-index.ts) and the large set (core/types/set/large-set.ts): empty the
// slot, then move back each later entry of the run that may move, so every
// entry stays reachable from its home slot.

/**
 * Empty slot `slot` of a table (entries in `addrs`, 0 = empty; fingerprints
 * in `tags`; `mask` = slots - 1) and shift back the entries after it: an
 * entry at j with home h fills the hole unless h lies cyclically in
 * (hole, j], which would put it before its home.
 */
export function deleteShiftingBack(addrs: Uint32Array, tags: Uint8Array, mask: number, slot: number, homeOf: (addr: number) => number): void {
  let hole = slot;
  for (let j = (slot + 1) & mask; addrs[j] !== 0; j = (j + 1) & mask) {
    const home = homeOf(addrs[j]!) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      addrs[hole] = addrs[j]!;
      tags[hole] = tags[j]!;
      hole = j;
    }
  }
  addrs[hole] = 0;
  tags[hole] = 0;
}
