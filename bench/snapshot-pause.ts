// How long taking a shard snapshot stops its worker today: Shard.snapshot()
// copies every entry out of the store, sorts by key (so equal states give
// equal bytes) and encodes, all in one call. Issue 9/12 ask for snapshots
// that do not stall request processing; this measures the pause to beat.
//
//   npm run build && node --expose-gc dist/bench/snapshot-pause.js [keys...]
//
// Prints, per shard size, the snapshot's bytes and the wall time of
// snapshot(), digest() and Shard.restore() (median of 3 runs).

import { DEFAULT_LIMITS } from '../core/limits.js';
import { LocalLog, serveRequest } from '../core/shard/local-log.js';
import { Shard } from '../core/shard/shard.js';

const VALUE_BYTES = 100;
const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fill(keys: number): Shard {
  const shard = new Shard(0, DEFAULT_LIMITS);
  const log = new LocalLog(shard);
  const enc = new TextEncoder();
  const value = new Uint8Array(VALUE_BYTES).fill(120);
  for (let i = 0; i < keys; i++) serveRequest(log, { op: 'set', key: enc.encode(`key:${String(i).padStart(9, '0')}`), value }, 1_000);
  return shard;
}

function timeMs(action: () => unknown): number {
  const t0 = performance.now();
  action();
  return performance.now() - t0;
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const keys of sizes.length > 0 ? sizes : [100_000, 1_000_000]) {
  const shard = fill(keys);
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
    + `digest() ${median(digest).toFixed(0)} ms, restore ${median(restore).toFixed(0)} ms (median of ${RUNS})`);
}
