// A single-producer/single-consumer ring of variable-length records in shared
// memory. One thread writes, one thread reads; neither ever blocks inside this
// file (waiting belongs to the runtime, which uses the signal words below).
//
// Memory layout (an Int32Array view over the header):
//   [HEAD]             consumer's read position (bytes, free-running uint32)
//   [PRODUCER_WAITING] 1 while the producer sleeps waiting for space
//   [TAIL]             producer's write position (on its own cache line)
//   [CONSUMER_WAITING] 1 while the consumer sleeps waiting for records
// then `capacity` data bytes. A record is a 4-byte little-endian length and
// its payload, padded to 8 bytes. A record never wraps: when it does not fit
// before the end, the producer writes a WRAP marker and starts at offset 0.
//
// Invariants: 0 <= tail - head <= capacity (mod 2^32); head and tail are
// multiples of 8; a record becomes visible only when TAIL moves past it (so
// readers never see a torn record); the consumer frees space only by moving
// HEAD. Positions wrap at 2^32, so capacity must be a power of two <= 2^30.

import { assert } from '../assert.js';

export const RING_HEADER_BYTES = 128;
export const RING_RECORD_ALIGN = 8;
const LENGTH_BYTES = 4;
const WRAP_MARKER = 0xffffffff;

const HEAD = 0;
const PRODUCER_WAITING = 1;
const TAIL = 16; // 64 bytes away from HEAD: no false sharing between the two sides
const CONSUMER_WAITING = 17;

export function ringBufferBytes(capacity: number): number {
  return RING_HEADER_BYTES + capacity;
}

function align(n: number): number {
  return (n + RING_RECORD_ALIGN - 1) & ~(RING_RECORD_ALIGN - 1);
}

/** Bytes a record with this payload occupies in the ring. */
export function recordBytes(payloadBytes: number): number {
  return align(LENGTH_BYTES + payloadBytes);
}

export class SpscRing {
  readonly capacity: number;
  /** Largest payload a single record may carry: half the ring, so two always fit. */
  readonly payloadBytesMax: number;
  /** Header words; the runtime waits/notifies on these (see signal* below). */
  readonly header: Int32Array;
  readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly mask: number;

  // Producer-local state.
  private localTail: number;
  private cachedHead: number;
  // Consumer-local state.
  private localHead: number;
  private cachedTail: number;

  constructor(readonly memory: SharedArrayBuffer | ArrayBuffer) {
    this.capacity = memory.byteLength - RING_HEADER_BYTES;
    assert(this.capacity >= 64 && (this.capacity & (this.capacity - 1)) === 0, 'ring capacity must be a power of two >= 64');
    assert(this.capacity <= 1 << 30, 'ring capacity must be at most 2^30 bytes');
    this.mask = this.capacity - 1;
    this.payloadBytesMax = this.capacity / 2 - LENGTH_BYTES;
    this.header = new Int32Array(memory, 0, RING_HEADER_BYTES / 4);
    this.data = new Uint8Array(memory, RING_HEADER_BYTES, this.capacity);
    this.view = new DataView(memory, RING_HEADER_BYTES, this.capacity);
    this.localTail = Atomics.load(this.header, TAIL) >>> 0;
    this.cachedHead = Atomics.load(this.header, HEAD) >>> 0;
    this.localHead = this.cachedHead;
    this.cachedTail = this.localTail;
  }

  static allocate(capacity: number, shared = true): SpscRing {
    const bytes = ringBufferBytes(capacity);
    return new SpscRing(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }

  // ---- producer side --------------------------------------------------------

  /**
   * Reserve room for a record of `payloadBytes` and return the data offset to
   * write the payload at, or -1 when the ring is full (backpressure: the
   * caller must retry after the consumer frees space). Call `commit` after
   * writing; nothing is visible to the consumer before `publish`.
   */
  reserve(payloadBytes: number): number {
    assert(payloadBytes >= 0 && payloadBytes <= this.payloadBytesMax, () => `record of ${payloadBytes} bytes exceeds ring limit ${this.payloadBytesMax}`);
    const size = recordBytes(payloadBytes);
    const offset = this.localTail & this.mask;
    const untilEnd = this.capacity - offset;
    const needed = size <= untilEnd ? size : untilEnd + size;
    if (!this.hasSpace(needed)) return -1;
    if (size > untilEnd) {
      // Not enough contiguous room: mark the rest of the ring skipped.
      this.view.setUint32(offset, WRAP_MARKER, true);
      this.localTail = (this.localTail + untilEnd) >>> 0;
    }
    const start = this.localTail & this.mask;
    this.view.setUint32(start, payloadBytes, true);
    this.pendingSize = size;
    return start + LENGTH_BYTES;
  }

  private pendingSize = 0;

  /** Finish the record started by the last `reserve`. */
  commit(): void {
    assert(this.pendingSize > 0, 'commit without reserve');
    this.localTail = (this.localTail + this.pendingSize) >>> 0;
    this.pendingSize = 0;
  }

  /** Convenience: reserve + copy + commit. Returns false when full. */
  tryWrite(payload: Uint8Array): boolean {
    const at = this.reserve(payload.length);
    if (at < 0) return false;
    this.data.set(payload, at);
    this.commit();
    return true;
  }

  /**
   * Make committed records visible. Returns true when the consumer is (or is
   * about to be) asleep and the runtime must notify `signalConsumerIndex`.
   */
  publish(): boolean {
    Atomics.store(this.header, TAIL, this.localTail | 0);
    return Atomics.load(this.header, CONSUMER_WAITING) === 1;
  }

  /**
   * Before sleeping for space (only after `reserve` returned -1): announce it
   * and return the HEAD value to wait on, or null if space may already have
   * been freed (re-check instead).
   */
  prepareToWaitForSpace(): number | null {
    Atomics.store(this.header, PRODUCER_WAITING, 1);
    const head = Atomics.load(this.header, HEAD);
    // Compare with the HEAD the failed reserve saw (hasSpace reloaded it), not
    // a fresh read: a consumer that freed space before our announcement did
    // not see us waiting and will not notify.
    if ((head >>> 0) !== this.cachedHead) {
      Atomics.store(this.header, PRODUCER_WAITING, 0);
      return null;
    }
    return head;
  }

  doneWaitingForSpace(): void {
    Atomics.store(this.header, PRODUCER_WAITING, 0);
  }

  private hasSpace(needed: number): boolean {
    if (((this.localTail - this.cachedHead) >>> 0) + needed <= this.capacity) return true;
    this.cachedHead = Atomics.load(this.header, HEAD) >>> 0;
    return ((this.localTail - this.cachedHead) >>> 0) + needed <= this.capacity;
  }

  // ---- consumer side --------------------------------------------------------

  /**
   * The data offset of the next record's payload, or -1 if none is visible.
   * `lastLength` holds its payload length. Call `release` when done with it:
   * the payload bytes may be overwritten after that.
   */
  peek(): number {
    if (this.localHead === this.cachedTail) {
      this.cachedTail = Atomics.load(this.header, TAIL) >>> 0;
      if (this.localHead === this.cachedTail) return -1;
    }
    let offset = this.localHead & this.mask;
    let length = this.view.getUint32(offset, true);
    if (length === WRAP_MARKER) {
      this.localHead = (this.localHead + (this.capacity - offset)) >>> 0;
      assert(this.localHead !== this.cachedTail, 'wrap marker at the tail');
      offset = 0;
      length = this.view.getUint32(0, true);
    }
    assert(length <= this.payloadBytesMax, () => `corrupt ring record length ${length}`);
    assert(((this.cachedTail - this.localHead) >>> 0) >= recordBytes(length), 'record extends past the tail');
    this.lastLength = length;
    return offset + LENGTH_BYTES;
  }

  lastLength = 0;

  /** Consume the record returned by the last `peek` (locally; see `flushHead`). */
  release(): void {
    this.localHead = (this.localHead + recordBytes(this.lastLength)) >>> 0;
  }

  /**
   * Return consumed space to the producer. Returns true when the producer is
   * waiting for space and the runtime must notify `signalProducerIndex`.
   */
  flushHead(): boolean {
    Atomics.store(this.header, HEAD, this.localHead | 0);
    return Atomics.load(this.header, PRODUCER_WAITING) === 1;
  }

  /**
   * Before sleeping: announce it and return the TAIL value to wait on, or
   * null if records arrived meanwhile. The announce-then-recheck order, with
   * the producer's store-TAIL-then-load-flag order, means a wake-up is never
   * lost: one of the two sides always sees the other's write.
   */
  prepareToSleep(): number | null {
    Atomics.store(this.header, HEAD, this.localHead | 0);
    Atomics.store(this.header, CONSUMER_WAITING, 1);
    const tail = Atomics.load(this.header, TAIL);
    if ((tail >>> 0) !== this.localHead) {
      Atomics.store(this.header, CONSUMER_WAITING, 0);
      return null;
    }
    return tail;
  }

  wokeUp(): void {
    Atomics.store(this.header, CONSUMER_WAITING, 0);
  }

  /** Bytes written but not yet consumed, as this side last saw them. */
  usedBytes(): number {
    return (Atomics.load(this.header, TAIL) - Atomics.load(this.header, HEAD)) >>> 0;
  }

  static readonly signalConsumerIndex = TAIL;
  static readonly signalProducerIndex = HEAD;
}
