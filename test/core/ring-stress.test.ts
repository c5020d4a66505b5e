// Two real threads over core/ring/spsc-ring.ts: this thread produces 200,000
// checksummed, sequence-numbered records of random sizes (some as large as a
// record may be, forcing wrap-around) through a 64 KiB ring to a worker that
// verifies them and reports counts back over a second ring. Both sides use the
// runtime's real sleep protocol (Atomics.wait/notify driven by publish,
// flushHead, prepareToSleep/wokeUp and prepareToWaitForSpace/doneWaitingForSpace);
// a wait that times out means a lost wake-up and fails the test.
//
// The worker runs compiled JS: `npm test` builds dist/ first; when running
// this file alone, run `npx tsc -p .` before it.

import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ringBufferBytes, SpscRing } from '../../core/ring/spsc-ring.js';
import {
  ACK_BYTES, CONTROL_FAILED, CONTROL_WORDS, fillPayload, payloadSize, RECORD_HEADER_BYTES, type StressSetup, WAIT_TIMEOUT_MS,
} from './fixtures/ring-stress-protocol.js';

const RECORDS = 200_000;
const DATA_RING_BYTES = 64 * 1024;
/** Small, so the worker's final ack may have to wait for space. */
const ACK_RING_BYTES = 256;
/** Give up (and fail) rather than hang if something goes badly wrong. */
const DEADLINE_MS = 60_000;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'tsconfig.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('ring-stress: cannot find the repository root');
    dir = up;
  }
  return dir;
}

/** The compiled worker, checked to be at least as new as the sources it runs. */
function compiledWorker(): URL {
  const root = repoRoot();
  const compiled = join(root, 'dist/test/core/fixtures/ring-stress-worker.js');
  const build = 'run `npx tsc -p .` (npm test builds first)';
  if (!existsSync(compiled)) throw new Error(`ring-stress: ${compiled} is missing; ${build}`);
  for (const [source, output] of [
    ['test/core/fixtures/ring-stress-worker.ts', 'dist/test/core/fixtures/ring-stress-worker.js'],
    ['test/core/fixtures/ring-stress-protocol.ts', 'dist/test/core/fixtures/ring-stress-protocol.js'],
    ['core/ring/spsc-ring.ts', 'dist/core/ring/spsc-ring.js'],
  ] as const) {
    const out = join(root, output);
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(root, source)).mtimeMs) {
      throw new Error(`ring-stress: ${output} is older than ${source}; ${build}`);
    }
  }
  return pathToFileURL(compiled);
}

interface WorkerReport { verified: number; errors: number; timeouts: number; firstError: string | null }

describe('SpscRing across two threads', () => {
  it(`carries ${RECORDS} variable-length records intact and in order, with no lost wake-ups`, async () => {
    const seed = Number(process.env.RING_STRESS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const context = `seed ${seed} (rerun with RING_STRESS_SEED=${seed})`;
    const workerUrl = compiledWorker();

    const ring = new SpscRing(new SharedArrayBuffer(ringBufferBytes(DATA_RING_BYTES)));
    const acks = new SpscRing(new SharedArrayBuffer(ringBufferBytes(ACK_RING_BYTES)));
    const controlMemory = new SharedArrayBuffer(CONTROL_WORDS * 4);
    const control = new Int32Array(controlMemory);
    const setup: StressSetup = {
      dataRing: ring.memory as SharedArrayBuffer,
      ackRing: acks.memory as SharedArrayBuffer,
      control: controlMemory,
      records: RECORDS,
      seed,
      payloadBytesMax: ring.payloadBytesMax,
    };
    const worker = new Worker(workerUrl, { workerData: setup });
    const report = new Promise<WorkerReport>((resolve, reject) => {
      worker.once('message', (m: WorkerReport) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`worker exited (${code}) without a report`)));
    });

    const started = performance.now();
    const view = new DataView(ring.data.buffer, ring.data.byteOffset, ring.data.byteLength);
    const ackView = new DataView(acks.data.buffer, acks.data.byteOffset, acks.data.byteLength);
    let producerTimeouts = 0;
    let consumerTimeouts = 0;
    let largest = 0;
    let fullTimes = 0;
    const lastAck = { verified: 0, errors: 0, timeouts: 0, final: false };

    const checkAlive = (): void => {
      if (Atomics.load(control, CONTROL_FAILED) !== 0) throw new Error(`worker failed; ${context}`);
      if (performance.now() - started > DEADLINE_MS) throw new Error(`ring stress did not finish in ${DEADLINE_MS} ms; ${context}`);
    };

    const drainAcks = (): void => {
      let read = false;
      for (let at = acks.peek(); at >= 0; at = acks.peek()) {
        expect(acks.lastLength).toBe(ACK_BYTES);
        const verified = ackView.getUint32(at, true);
        expect(verified, 'acks are cumulative').toBeGreaterThanOrEqual(lastAck.verified);
        lastAck.verified = verified;
        lastAck.errors = ackView.getUint32(at + 4, true);
        lastAck.timeouts = ackView.getUint32(at + 8, true);
        lastAck.final = ackView.getUint32(at + 12, true) === 1;
        acks.release();
        read = true;
      }
      if (read && acks.flushHead()) Atomics.notify(acks.header, SpscRing.signalProducerIndex);
    };

    const publish = (): void => {
      if (ring.publish()) Atomics.notify(ring.header, SpscRing.signalConsumerIndex);
    };

    try {
      for (let seq = 0; seq < RECORDS; seq++) {
        const n = payloadSize(seed, seq, ring.payloadBytesMax - RECORD_HEADER_BYTES);
        largest = Math.max(largest, n);
        let at = ring.reserve(RECORD_HEADER_BYTES + n);
        while (at < 0) {
          fullTimes++;
          publish(); // the consumer must see everything before we sleep
          drainAcks();
          checkAlive();
          const head = ring.prepareToWaitForSpace();
          if (head !== null && Atomics.wait(ring.header, SpscRing.signalProducerIndex, head, WAIT_TIMEOUT_MS) === 'timed-out') {
            producerTimeouts++;
            throw new Error(`producer waited ${WAIT_TIMEOUT_MS} ms for space without a notify (lost wake-up); ${context}`);
          }
          ring.doneWaitingForSpace();
          at = ring.reserve(RECORD_HEADER_BYTES + n);
        }
        view.setUint32(at, seq, true);
        view.setUint32(at + 4, n, true);
        view.setUint32(at + 8, fillPayload(ring.data, at + RECORD_HEADER_BYTES, n, seed, seq), true);
        ring.commit();
        if (seq % 8 === 7) publish();
        if (seq % 1024 === 0) drainAcks();
      }
      publish();
      // Wait for the worker's final count, sleeping on the ack ring.
      for (;;) {
        drainAcks();
        if (lastAck.final) break;
        checkAlive();
        const tail = acks.prepareToSleep();
        if (tail !== null && Atomics.wait(acks.header, SpscRing.signalConsumerIndex, tail, WAIT_TIMEOUT_MS) === 'timed-out') {
          consumerTimeouts++;
          throw new Error(`waited ${WAIT_TIMEOUT_MS} ms for the final ack without a notify (lost wake-up); ${context}`);
        }
        acks.wokeUp();
      }
    } catch (e) {
      Atomics.store(control, CONTROL_FAILED, 1);
      Atomics.notify(ring.header, SpscRing.signalConsumerIndex);
      Atomics.notify(acks.header, SpscRing.signalProducerIndex);
      const fromWorker = await Promise.race([report, new Promise((resolve) => setTimeout(resolve, 1000, null))]);
      await worker.terminate();
      const message = (e as Error).message;
      throw new Error(`${message}${message.includes(context) ? '' : `; ${context}`}; worker: ${JSON.stringify(fromWorker)}`);
    }

    const fromWorker = await report;
    await worker.terminate();
    const elapsedMs = performance.now() - started;
    expect(fromWorker.firstError, context).toBeNull();
    expect(fromWorker.errors, context).toBe(0);
    expect(fromWorker.verified, context).toBe(RECORDS);
    expect(lastAck, context).toMatchObject({ verified: RECORDS, errors: 0, final: true });
    expect({ producerTimeouts, consumerTimeouts, workerTimeouts: fromWorker.timeouts }, `lost wake-ups; ${context}`)
      .toEqual({ producerTimeouts: 0, consumerTimeouts: 0, workerTimeouts: 0 });
    // The run exercised what it claims to: the largest records and a full ring.
    expect(largest).toBe(ring.payloadBytesMax - RECORD_HEADER_BYTES);
    expect(fullTimes).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);
  });
});
