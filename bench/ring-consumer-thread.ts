// The consumer half of the cross-thread ring benchmark (micro.ts): reads and
// releases records as fast as they come, sleeping on the ring's signal word
// when it is empty, as a Piccolo worker does. Stops when the producer sets
// the stop word and the ring is empty, and reports what it read.

import { parentPort, workerData } from 'node:worker_threads';
import { SpscRing } from '../core/ring/spsc-ring.js';

export interface RingConsumerSetup {
  ring: SharedArrayBuffer;
  /** Int32Array words: [0] = stop requested. */
  control: SharedArrayBuffer;
}

export interface RingConsumerReport {
  records: number;
  bytes: number;
  /** Times the consumer found the ring empty and slept. */
  sleeps: number;
  /** Sum of the first payload bytes (keeps the reads from being optimised away). */
  checksum: number;
}

/** Records consumed between HEAD publications: returns space in batches, as the worker does. */
const FLUSH_EVERY = 64;
/** Upper bound on one sleep, so a missed stop can never hang the benchmark. */
const SLEEP_MS_MAX = 50;

const setup = workerData as RingConsumerSetup;
const ring = new SpscRing(setup.ring);
const control = new Int32Array(setup.control);

let records = 0;
let bytes = 0;
let sleeps = 0;
let checksum = 0;
let sinceFlush = 0;
while (true) {
  const at = ring.peek();
  if (at >= 0) {
    // Read the payload's first byte, as a decoder would, so the data crosses caches.
    checksum = (checksum + ring.data[at]!) | 0;
    bytes += ring.lastLength;
    ring.release();
    records++;
    if (++sinceFlush === FLUSH_EVERY) {
      sinceFlush = 0;
      if (ring.flushHead()) Atomics.notify(ring.header, SpscRing.signalProducerIndex);
    }
    continue;
  }
  sinceFlush = 0;
  if (ring.flushHead()) Atomics.notify(ring.header, SpscRing.signalProducerIndex);
  if (Atomics.load(control, 0) === 1 && ring.peek() < 0) break;
  const tail = ring.prepareToSleep();
  if (tail !== null) {
    sleeps++;
    Atomics.wait(ring.header, SpscRing.signalConsumerIndex, tail, SLEEP_MS_MAX);
  }
  ring.wokeUp();
}
const report: RingConsumerReport = { records, bytes, sleeps, checksum };
parentPort!.postMessage(report);
