// core/ring/spsc-ring.ts, single-threaded: a producer and a consumer view of
// one SharedArrayBuffer, driven by random action sequences and compared with
// an exact model of positions (uint32, free-running), wrap markers, published
// HEAD/TAIL and the sleep/wake flags. The two-thread test is ring-stress.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordBytes, RING_HEADER_BYTES, ringBufferBytes, SpscRing } from '../../core/ring/spsc-ring.js';

const HEAD = 0;
const TAIL = 16;

/** Two views of one ring whose positions start at `start` (to exercise uint32 wrap-around). */
function makeRing(capacity: number, start: number): { producer: SpscRing; consumer: SpscRing; memory: SharedArrayBuffer } {
  const memory = new SharedArrayBuffer(ringBufferBytes(capacity));
  const header = new Int32Array(memory, 0, RING_HEADER_BYTES / 4);
  header[HEAD] = start | 0;
  header[TAIL] = start | 0;
  return { producer: new SpscRing(memory), consumer: new SpscRing(memory), memory };
}

function payload(seq: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seq * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

type Action =
  | { kind: 'write'; size: number }
  | { kind: 'publish' }
  | { kind: 'read'; count: number }
  | { kind: 'flushHead' }
  | { kind: 'sleep' }
  | { kind: 'wake' }
  | { kind: 'waitForSpace' }
  | { kind: 'doneWaiting' };

function arbActions(payloadBytesMax: number): fc.Arbitrary<Action[]> {
  const size = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.min(40, payloadBytesMax) }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: payloadBytesMax }) },
    { weight: 1, arbitrary: fc.constantFrom(0, payloadBytesMax, payloadBytesMax - 1, payloadBytesMax - 4, payloadBytesMax - 5) },
  );
  const action: fc.Arbitrary<Action> = fc.oneof(
    { weight: 6, arbitrary: size.map((s): Action => ({ kind: 'write', size: s })) },
    { weight: 3, arbitrary: fc.constant<Action>({ kind: 'publish' }) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((count): Action => ({ kind: 'read', count })) },
    { weight: 2, arbitrary: fc.constant<Action>({ kind: 'flushHead' }) },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'sleep' }) },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'wake' }) },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'waitForSpace' }) },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'doneWaiting' }) },
  );
  return fc.array(action, { minLength: 1, maxLength: 300, size: 'max' });
}

/** `pos`: absolute (uint32) position of the record's length word; `at` = pos mod capacity. */
interface ModelRecord { seq: number; pos: number; at: number; bytes: Uint8Array }

/** The ring as the protocol defines it; positions are uint32. */
class RingModel {
  tail: number;
  head: number;
  tailPublished: number;
  headPublished: number;
  committed: ModelRecord[] = [];
  visible: ModelRecord[] = [];
  consumerWaiting = false;
  producerWaiting = false;
  /** HEAD as it was when the last reserve failed; null after a success. */
  headAtFailure: number | null = null;
  seq = 0;

  constructor(readonly capacity: number, start: number) {
    this.tail = this.head = this.tailPublished = this.headPublished = start >>> 0;
  }

  /** Where a record of `size` payload bytes would go, or null when it does not fit. */
  place(size: number): { skip: number; pos: number; at: number } | null {
    const rec = recordBytes(size);
    const offset = this.tail % this.capacity;
    const untilEnd = this.capacity - offset;
    const skip = rec <= untilEnd ? 0 : untilEnd;
    const used = (this.tail - this.headPublished) >>> 0;
    if (used + skip + rec > this.capacity) return null;
    const pos = (this.tail + skip) >>> 0;
    return { skip, pos, at: pos % this.capacity };
  }
}

function runActions(capacity: number, start: number, actions: Action[]): void {
  const { producer, consumer } = makeRing(capacity, start);
  const m = new RingModel(capacity, start);
  for (const [i, a] of actions.entries()) {
    const where = `action ${i} ${JSON.stringify(a)}`;
    switch (a.kind) {
      case 'write': {
        const bytes = payload(m.seq, a.size);
        const place = m.place(a.size);
        const at = producer.reserve(a.size);
        if (place === null) {
          expect(at, `${where}: ring should be full`).toBe(-1);
          m.headAtFailure = m.headPublished;
          break;
        }
        expect(at, `${where}: record offset`).toBe(place.at + 4);
        producer.data.set(bytes, at);
        producer.commit();
        m.tail = (m.tail + place.skip + recordBytes(a.size)) >>> 0;
        m.committed.push({ seq: m.seq++, pos: place.pos, at: place.at, bytes });
        m.headAtFailure = null;
        break;
      }
      case 'publish': {
        expect(producer.publish(), `${where}: notify iff the consumer announced sleep`).toBe(m.consumerWaiting);
        m.tailPublished = m.tail;
        m.visible.push(...m.committed);
        m.committed = [];
        break;
      }
      case 'read': {
        for (let n = 0; n < a.count; n++) {
          const at = consumer.peek();
          const next = m.visible.shift();
          if (!next) {
            expect(at, `${where}: nothing published to read`).toBe(-1);
            break;
          }
          expect(at, `${where}: record ${next.seq} offset`).toBe(next.at + 4);
          expect(consumer.lastLength).toBe(next.bytes.length);
          expect(consumer.peek(), 'peek is idempotent').toBe(at);
          expect(consumer.data.subarray(at, at + consumer.lastLength), `${where}: record ${next.seq} bytes`).toEqual(next.bytes);
          consumer.release();
          m.head = (next.pos + recordBytes(next.bytes.length)) >>> 0;
        }
        break;
      }
      case 'flushHead': {
        expect(consumer.flushHead(), `${where}: notify iff the producer announced waiting`).toBe(m.producerWaiting);
        m.headPublished = m.head;
        break;
      }
      case 'sleep': {
        const tail = consumer.prepareToSleep();
        m.headPublished = m.head; // announcing sleep also returns consumed space
        if (m.visible.length > 0) {
          expect(tail, `${where}: records are pending, must not sleep`).toBeNull();
          m.consumerWaiting = false;
        } else {
          expect(tail, `${where}: the TAIL value to wait on`).toBe(m.tailPublished | 0);
          m.consumerWaiting = true;
        }
        break;
      }
      case 'wake': {
        consumer.wokeUp();
        m.consumerWaiting = false;
        break;
      }
      case 'waitForSpace': {
        if (m.headAtFailure === null) break; // only meaningful right after reserve failed
        const head = producer.prepareToWaitForSpace();
        if (m.headPublished !== m.headAtFailure) {
          // Space was freed after the failed reserve: sleeping now could miss the only wake-up.
          expect(head, `${where}: HEAD moved since reserve failed, must retry instead of waiting`).toBeNull();
          m.producerWaiting = false;
        } else {
          expect(head, `${where}: the HEAD value to wait on`).toBe(m.headPublished | 0);
          m.producerWaiting = true;
        }
        break;
      }
      case 'doneWaiting': {
        producer.doneWaitingForSpace();
        m.producerWaiting = false;
        break;
      }
    }
    expect(producer.usedBytes()).toBe((m.tailPublished - m.headPublished) >>> 0);
    expect(producer.usedBytes()).toBeLessThanOrEqual(capacity);
  }
  // Drain: publish and read everything; nothing was lost or duplicated.
  producer.publish();
  m.visible.push(...m.committed);
  for (const next of m.visible) {
    const at = consumer.peek();
    expect(at).toBe(next.at + 4);
    expect(consumer.data.subarray(at, at + consumer.lastLength)).toEqual(next.bytes);
    consumer.release();
  }
  expect(consumer.peek()).toBe(-1);
}

const arbStart = fc.oneof(
  fc.constant(0),
  fc.constant(2 ** 32 - 8), // positions wrap past 2^32 almost at once
  fc.integer({ min: 0, max: 2 ** 29 - 1 }).map((n) => (n * 8) >>> 0),
);

describe('SpscRing (single thread)', () => {
  for (const capacity of [64, 256, 1024]) {
    it(`delivers exactly the written records in order, full means -1, capacity ${capacity}`, () => {
      const payloadBytesMax = capacity / 2 - 4;
      fc.assert(fc.property(arbStart, arbActions(payloadBytesMax), (start, actions) => runActions(capacity, start, actions)), { numRuns: 60 });
    });
  }

  it('exposes payloadBytesMax = half the ring minus the length word, and refuses larger records', () => {
    const ring = SpscRing.allocate(256);
    expect(ring.payloadBytesMax).toBe(124);
    expect(recordBytes(ring.payloadBytesMax)).toBe(128);
    expect(() => ring.reserve(125)).toThrow(/exceeds ring limit/);
    expect(() => ring.reserve(-1)).toThrow();
    expect(() => ring.commit()).toThrow(/commit without reserve/);
  });

  it('a max-sized record fits in an empty ring at every offset', () => {
    for (let start = 0; start < 512; start += 8) {
      const { producer, consumer } = makeRing(256, start);
      for (let round = 0; round < 4; round++) {
        expect(producer.tryWrite(new Uint8Array(124).fill(round + 1)), `start ${start} round ${round}`).toBe(true);
        producer.publish();
        const at = consumer.peek();
        expect(consumer.lastLength).toBe(124);
        expect(consumer.data.subarray(at, at + 124).every((x) => x === round + 1)).toBe(true);
        consumer.release();
        consumer.flushHead();
        expect(producer.usedBytes()).toBe(0);
      }
    }
  });

  it('rejects bad capacities', () => {
    expect(() => SpscRing.allocate(100)).toThrow(/power of two/);
    expect(() => SpscRing.allocate(32)).toThrow(/power of two/);
    expect(() => new SpscRing(new SharedArrayBuffer(RING_HEADER_BYTES + 48))).toThrow();
  });

  it('prepareToSleep refuses to sleep while published records are pending; publish then asks for a notify', () => {
    const { producer, consumer } = makeRing(256, 0);
    expect(consumer.prepareToSleep()).toBe(0);
    expect(producer.tryWrite(Uint8Array.of(1, 2, 3))).toBe(true);
    expect(producer.publish()).toBe(true); // consumer announced sleep: notify
    consumer.wokeUp();
    expect(consumer.prepareToSleep()).toBeNull(); // the record is pending
    expect(producer.tryWrite(Uint8Array.of(4))).toBe(true);
    expect(producer.publish()).toBe(false); // nobody sleeps
  });

  it('a producer that found the ring full does not sleep after the consumer freed space (lost wake-up)', () => {
    // Regression (found by the property above, seed 176217793): prepareToWaitForSpace compared HEAD with a value it had just
    // read itself, not with the HEAD the failed reserve saw. If the consumer
    // drained the ring and flushed HEAD in between (seeing no waiter, so not
    // notifying), the producer would sleep on an empty ring while the
    // consumer slept waiting for records.
    const { producer, consumer } = makeRing(256, 0);
    while (producer.tryWrite(new Uint8Array(100))) { /* fill */ }
    expect(producer.reserve(100)).toBe(-1);
    producer.publish();
    for (let at = consumer.peek(); at >= 0; at = consumer.peek()) consumer.release();
    expect(consumer.flushHead()).toBe(false); // producer not waiting yet: no notify
    expect(producer.prepareToWaitForSpace()).toBeNull(); // must retry, not sleep
    expect(producer.tryWrite(new Uint8Array(100))).toBe(true);
  });

  it('a producer that really has no space gets the HEAD value to wait on, and the consumer is told to notify', () => {
    const { producer, consumer } = makeRing(256, 0);
    while (producer.tryWrite(new Uint8Array(100))) { /* fill */ }
    producer.publish();
    const head = producer.prepareToWaitForSpace();
    expect(head).toBe(0);
    consumer.peek();
    consumer.release();
    expect(consumer.flushHead()).toBe(true);
    expect(Atomics.wait(producer.header, SpscRing.signalProducerIndex, head!, 0)).toBe('not-equal');
    producer.doneWaitingForSpace();
    expect(consumer.flushHead()).toBe(false);
  });
});
