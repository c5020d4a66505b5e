// Small byte arrays carved out of shared slabs. A Uint8Array of its own
// above 64 bytes is an off-heap ArrayBuffer in V8: costly to allocate and
// extra work for the garbage collector. Copies that are made on every
// message or write (an encoded peer batch, a simulated disk's pending write)
// are cut from one larger buffer instead, as Node's Buffer pool does.
//
// A copy is a view: its `.buffer` is the shared slab, so only code that
// reads through the view itself (byteOffset-aware) may receive one, and a
// slab stays alive while any copy cut from it does.

/** Bytes per slab: large enough to amortize its allocation over many copies, small enough that a few live copies pin little. */
export const BYTE_SLAB_BYTES = 64 * 1024;
/** Copies above this get their own buffer: a large copy would use up a slab at once. */
const SLAB_COPY_BYTES_MAX = BYTE_SLAB_BYTES / 8;
/** Copies start at multiples of 8, so a typed array of any element size can be laid over one. */
const SLAB_ALIGN_BYTES = 8;

export class ByteSlab {
  private slab = new Uint8Array(BYTE_SLAB_BYTES);
  private used = 0;

  /** A copy of `bytes`, independent of them (a view into a slab when small). */
  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.length;
    if (length > SLAB_COPY_BYTES_MAX) return bytes.slice();
    if (this.used + length > BYTE_SLAB_BYTES) {
      this.slab = new Uint8Array(BYTE_SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + length);
    out.set(bytes);
    this.used += (length + SLAB_ALIGN_BYTES - 1) & -SLAB_ALIGN_BYTES;
    return out;
  }
}
