// A growable little-endian byte writer and a bounds-checked reader, used by
// the ring codec. The reader throws RangeError on truncated input, which the
// codec turns into an assertion (ring records are written by us).

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialBytes = 4096) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** The bytes written so far from `start` (a view, valid until the next write at or before its end). */
  bytes(start = 0): Uint8Array {
    return this.buf.subarray(start, this.length);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.length, v, true);
    this.length += 8;
  }

  /** Length-prefixed bytes. */
  bytesField(b: Uint8Array): void {
    this.bytesFieldOf(b, 0, b.length);
  }

  /** Length-prefixed `length` bytes of `src` from `start`, without making a view of them. */
  bytesFieldOf(src: Uint8Array, start: number, length: number): void {
    this.u32(length);
    this.ensure(length);
    const buf = this.buf;
    const at = this.length;
    // A byte loop beats making a view for short runs (a typical key).
    if (length <= 32) for (let i = 0; i < length; i++) buf[at + i] = src[start + i]!;
    else buf.set(length === src.length ? src : src.subarray(start, start + length), at);
    this.length += length;
  }
}

export class ByteReader {
  private pos: number;
  /** Made on the first f64/i64 only: a DataView per reader was a tenth of a worker's time on small records. */
  private viewMade: DataView | null = null;

  constructor(private readonly buf: Uint8Array, start = 0, private readonly end = buf.length) {
    this.pos = start;
  }

  private get view(): DataView {
    return this.viewMade ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('truncated record');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const at = this.pos;
    this.pos += 2;
    return b[at]! | (b[at + 1]! << 8);
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const at = this.pos;
    this.pos += 4;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length-prefixed bytes passed over, checked as bytesView checks them, with no view made. */
  skipBytesField(): void {
    const n = this.u32();
    this.need(n);
    this.pos += n;
  }

  /** Length-prefixed bytes as a view into the underlying buffer (no copy). */
  bytesView(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}
