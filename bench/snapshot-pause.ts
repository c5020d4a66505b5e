// How long taking a shard snapshot stops its worker. Two ways:
// - at once: Shard.snapshot() runs a snapshot job to its end in one call
//   (tests and small shards), the worker serving nothing meanwhile;
// - incremental: Shard.beginSnapshot() and one job.step() per tick, with
//   WRITES_PER_STEP writes (overwrites, new keys, deletes, over random keys)
//   applied between steps, as a worker serving load would. The pause is the
//   longest single step; a write that reaches a record before the walk also
//   encodes its pre-image, so the longest write during the job is reported
//   too. The result is checked: restored, it has the digest the shard had
//   when the job began.
//
//   npm run build && node --expose-gc dist/bench/snapshot-pause.js [keys...]
//
// Prints, per shard size: the snapshot's bytes, snapshot() / digest() /
// Shard.restore() wall times (median of RUNS), then the incremental job's
// steps, longest and 99th-percentile step, the steps' total, the job's wall
// time with the writes, the writes applied and the pre-image bytes carried.

import { DEFAULT_LIMITS } from '../core/limits.js';
import { Random } from '../core/random.js';
import { LocalLog, serveRequest } from '../core/shard/local-log.js';
import { Shard } from '../core/shard/shard.js';
import { SNAPSHOT_STEP_BYTES } from '../core/shard/snapshot-job.js';

const VALUE_BYTES = 100;
const RUNS = 3;
/** Writes applied between two steps: a busy worker's tick serves tens of requests. */
const WRITES_PER_STEP = 50;
const enc = new TextEncoder();

function keyOf(i: number): Uint8Array {
  return enc.encode(`key:${String(i).padStart(9, '0')}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

function fill(keys: number): { shard: Shard; log: LocalLog } {
  const shard = new Shard(0, DEFAULT_LIMITS);
  const log = new LocalLog(shard);
  const value = new Uint8Array(VALUE_BYTES).fill(120);
  for (let i = 0; i < keys; i++) serveRequest(log, { op: 'set', key: keyOf(i), value }, 1_000);
  return { shard, log };
}

function timeMs(action: () => unknown): number {
  const t0 = performance.now();
  action();
  return performance.now() - t0;
}

function atOnce(shard: Shard, keys: number): void {
  let bytes = 0;
  const snap: number[] = [];
  const digest: number[] = [];
  const restore: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    let s: Uint8Array = new Uint8Array(0);
    snap.push(timeMs(() => { s = shard.snapshot(); }));
    bytes = s.length;
    digest.push(timeMs(() => shard.digest()));
    restore.push(timeMs(() => Shard.restore(0, DEFAULT_LIMITS, s)));
  }
  console.log(`${keys} keys x ${VALUE_BYTES} B: snapshot ${bytes} bytes; snapshot() ${median(snap).toFixed(0)} ms, `
    + `digest() ${median(digest).toFixed(3)} ms, restore ${median(restore).toFixed(0)} ms (median of ${RUNS})`);
}

/** One write of the load between steps: mostly overwrites, some new keys and deletes. */
function write(log: LocalLog, random: Random, keys: number, nowMs: number): void {
  const roll = random.int(0, 9);
  const key = keyOf(roll === 0 ? keys + random.int(0, keys - 1) : random.int(0, keys - 1));
  if (roll === 1) log.propose({ op: 'del', key }, nowMs);
  else log.propose({ op: 'set', key, value: new Uint8Array(VALUE_BYTES).fill(roll) }, nowMs);
}

function incremental(shard: Shard, log: LocalLog, keys: number): void {
  (globalThis as { gc?: () => void }).gc?.();
  const random = Random.fromSeed(keys);
  const digestAtBegin = shard.digest();
  const chunks: Uint8Array[] = [];
  const steps: number[] = [];
  let writeMsMax = 0;
  let writes = 0;
  const t0 = performance.now();
  const job = shard.beginSnapshot();
  for (;;) {
    const stepStart = performance.now();
    const chunk = job.step(SNAPSHOT_STEP_BYTES);
    steps.push(performance.now() - stepStart);
    if (chunk === null) break;
    chunks.push(chunk);
    for (let w = 0; w < WRITES_PER_STEP; w++, writes++) writeMsMax = Math.max(writeMsMax, timeMs(() => write(log, random, keys, 2_000)));
  }
  const wallMs = performance.now() - t0;
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const ok = Shard.restore(0, DEFAULT_LIMITS, bytes).digest() === digestAtBegin;
  console.log(`  incremental, ${SNAPSHOT_STEP_BYTES / 1024} KiB a step, ${WRITES_PER_STEP} writes between steps: `
    + `${steps.length} steps, longest ${Math.max(...steps).toFixed(2)} ms, p99 ${percentile(steps, 0.99).toFixed(2)} ms, `
    + `steps total ${steps.reduce((a, b) => a + b, 0).toFixed(0)} ms, wall with writes ${wallMs.toFixed(0)} ms; `
    + `${writes} writes (longest ${writeMsMax.toFixed(2)} ms), pre-images ${job.preserved.entries} entries / ${job.preserved.bytes} bytes; `
    + `restores to the digest at its index: ${ok ? 'yes' : 'NO'}`);
  if (!ok) process.exitCode = 1;
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const keys of sizes.length > 0 ? sizes : [100_000, 1_000_000]) {
  const { shard, log } = fill(keys);
  atOnce(shard, keys);
  incremental(shard, log, keys);
}
