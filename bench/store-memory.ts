// Memory and speed of the shard store (core/store/) against the Map the
// shard holds today, 1M keys like `key:000000123` with 100-byte values each:
//
//   npm run build && node dist/bench/store-memory.js [--keys N]
//
// Each side runs in its own fresh `node --expose-gc` child, so one side's
// heap cannot flatter or burden the other: RSS is read after a full GC before
// and after the fill, and the growth divided by the key count is the cost of
// a key. The store also reports its own accounting (`usedBytes`). Times are
// wall-clock per operation over the whole fill / a pass of lookups in a
// scattered order (a single thread, no batching), so they include the key's
// conversion the way each side needs it (the Map a binary string per key,
// as core/shard/shard.ts does; the store nothing).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bytesToBinaryString } from '../core/bytes.js';
import { ShardStore } from '../core/store/store.js';
import { formatLoad, machineInfo } from './machine.js';
import { formatNs, markdownTable, textTable } from './table.js';

/** What the issue measures: 1M keys of 100-byte values (redis-benchmark's -d 100 over -r 1000000). */
const KEYS_DEFAULT = 1_000_000;
const VALUE_BYTES = 100;
/** `key:` and nine digits: 13 bytes, the shape of redis-benchmark's keys. */
const KEY_DIGITS = 9;
const KEY_PREFIX = 'key:';
/** A stride coprime with the key count scatters the lookups (no sequential-access flattery). */
const LOOKUP_STRIDE = 7919;

interface SideResult {
  side: 'store' | 'map';
  keys: number;
  rssGrowthBytes: number;
  storeUsedBytes: number | null;
  insertNs: number;
  lookupNs: number;
}

declare const gc: () => void;

function writeKey(buffer: Uint8Array, i: number): void {
  let n = i;
  for (let d = buffer.length - 1; d >= KEY_PREFIX.length; d--) {
    buffer[d] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

function settledRss(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

function runSide(side: 'store' | 'map', keys: number): SideResult {
  const key = new Uint8Array(KEY_PREFIX.length + KEY_DIGITS);
  key.set(new TextEncoder().encode(KEY_PREFIX));
  const value = new Uint8Array(VALUE_BYTES).fill(120);
  const rssBefore = settledRss();
  let insertNs: number;
  let lookupNs: number;
  let storeUsedBytes: number | null = null;
  let found = 0;
  if (side === 'store') {
    const store = new ShardStore({ keyBytesMax: 16 * 1024, valueBytesMax: 8 * 1024 * 1024 });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < keys; i++) {
      writeKey(key, i);
      store.set(key, value, i + 1, 0);
    }
    insertNs = Number(process.hrtime.bigint() - t0) / keys;
    while (store.step(1 << 16));
    const t1 = process.hrtime.bigint();
    for (let i = 0, k = 0; i < keys; i++, k = (k + LOOKUP_STRIDE) % keys) {
      writeKey(key, k);
      const h = store.lookup(key);
      if (h > 0 && store.valueOf(h).length === VALUE_BYTES) found++;
    }
    lookupNs = Number(process.hrtime.bigint() - t1) / keys;
    storeUsedBytes = store.usedBytes;
    const rssGrowthBytes = settledRss() - rssBefore;
    if (found !== keys || store.count !== keys) throw new Error(`store lost keys: ${found} found of ${keys}`);
    return { side, keys, rssGrowthBytes, storeUsedBytes, insertNs, lookupNs };
  }
  const map = new Map<string, { value: Uint8Array; version: number; expireAtMs: number }>();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < keys; i++) {
    writeKey(key, i);
    // As the shard does: a binary string per key, its own copy of each value.
    map.set(bytesToBinaryString(key), { value: value.slice(), version: i + 1, expireAtMs: 0 });
  }
  insertNs = Number(process.hrtime.bigint() - t0) / keys;
  const t1 = process.hrtime.bigint();
  for (let i = 0, k = 0; i < keys; i++, k = (k + LOOKUP_STRIDE) % keys) {
    writeKey(key, k);
    const entry = map.get(bytesToBinaryString(key));
    if (entry && entry.value.length === VALUE_BYTES) found++;
  }
  lookupNs = Number(process.hrtime.bigint() - t1) / keys;
  const rssGrowthBytes = settledRss() - rssBefore;
  if (found !== keys || map.size !== keys) throw new Error(`map lost keys: ${found} found of ${keys}`);
  return { side, keys, rssGrowthBytes, storeUsedBytes, insertNs, lookupNs };
}

function main(): void {
  const { values } = parseArgs({ options: { keys: { type: 'string' }, child: { type: 'string' } } });
  const keys = values.keys === undefined ? KEYS_DEFAULT : Number(values.keys);
  if (!(Number.isSafeInteger(keys) && keys > 0)) throw new Error(`--keys must be a positive integer, got ${values.keys}`);
  if (values.child === 'store' || values.child === 'map') {
    process.stdout.write(`${JSON.stringify(runSide(values.child, keys))}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const results = (['store', 'map'] as const).map((side): SideResult =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--child', side, '--keys', String(keys)], { encoding: 'utf8' })));
  const table = {
    headers: ['holder', 'RSS growth per key', 'usedBytes per key', 'insert', 'lookup'],
    rightAligned: [false, true, true, true, true],
    rows: results.map((r) => [
      r.side === 'store' ? 'ShardStore (core/store)' : 'Map<string, {value: Uint8Array, version, expireAtMs}>',
      `${(r.rssGrowthBytes / r.keys).toFixed(1)} B`,
      r.storeUsedBytes === null ? '-' : `${(r.storeUsedBytes / r.keys).toFixed(1)} B`,
      formatNs(r.insertNs), formatNs(r.lookupNs),
    ]),
  };
  const m = machineInfo();
  console.log(`${results[0]!.keys} keys of ${VALUE_BYTES} bytes; ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, load ${formatLoad(m.loadAverage)}\n`);
  console.log(textTable(table));
  console.log(`\n${markdownTable(table)}`);
}

main();
