// Measures how long the storage engine takes to recover a group's data
// directory (open + load: read, checksum and decode the snapshot and the log
// after it), five times over a fresh copy each (open rewrites the state
// slot and cuts tails). Only the storage's part of a restart: the replica
// then applies the entries and restores the snapshot into the store. Not a
// test; run after `npm run build`:
//   node dist/test/storage/measure-recovery.js <group dir> [nodeId] [groupId]

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogStorage } from '../../core/storage/log-storage.js';
import { NodeFileSystem } from '../../runtime-node/storage/node-file-system.js';

const ROUNDS = 5;

const source = process.argv[2];
if (source === undefined) throw new Error('usage: measure-recovery.js <group dir> [nodeId] [groupId]');
const identity = { nodeId: Number(process.argv[3] ?? 1), groupId: Number(process.argv[4] ?? 0) };
const base = mkdtempSync(join(tmpdir(), 'piccolo-recovery-'));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const copy = join(base, `copy-${round}`);
    cpSync(source, copy, { recursive: true });
    const start = performance.now();
    const storage = LogStorage.open(new NodeFileSystem(copy), { identity });
    const state = storage.load();
    const ms = performance.now() - start;
    console.log(`round ${round}: open + load ${ms.toFixed(0)} ms (${state.entries.length} entries after a snapshot of ${state.snapshot?.data.length ?? 0} bytes)`);
    storage.close();
    rmSync(copy, { recursive: true, force: true });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
