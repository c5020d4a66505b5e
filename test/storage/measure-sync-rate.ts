// Measures appends + sync per second on this machine's disk with the
// file-backed storage in 'always' mode: one entry per sync, then 64 entries
// per sync (group commit: many writes share one pair of fsyncs). Not a test;
// run after `npm run build`:
//   node dist/test/storage/measure-sync-rate.js [dir] [seconds]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../../core/raft/raft-types.js';
import { FileRaftStorage } from '../../runtime-node/storage/file-raft-storage.js';

const ENTRY_BYTES = 100;
const SECONDS_DEFAULT = 2;

function measure(dir: string, entriesPerSync: number, seconds: number): { syncsPerSecond: number; entriesPerSecond: number } {
  const storage = FileRaftStorage.open({ dir, identity: { nodeId: 1, groupId: 0 } });
  const data = new Uint8Array(ENTRY_BYTES).fill(7);
  let index = 1;
  let syncs = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const batch: Entry[] = [];
    for (let i = 0; i < entriesPerSync; i++) batch.push({ index: index++, term: 1, kind: 'normal', data });
    storage.appendEntries(batch);
    storage.saveHardState({ term: 1, vote: 1, commit: index - 1 });
    storage.sync();
    syncs++;
  }
  const elapsedS = (performance.now() - start) / 1000;
  storage.close();
  return { syncsPerSecond: syncs / elapsedS, entriesPerSecond: (index - 1) / elapsedS };
}

const base = process.argv[2] ?? tmpdir();
const seconds = Number(process.argv[3] ?? SECONDS_DEFAULT);
for (const perSync of [1, 64]) {
  const dir = mkdtempSync(join(base, 'piccolo-measure-'));
  try {
    const r = measure(dir, perSync, seconds);
    console.log(`${perSync} entr${perSync === 1 ? 'y' : 'ies'}/sync: ${r.syncsPerSecond.toFixed(0)} syncs/s, ${r.entriesPerSecond.toFixed(0)} entries/s (${ENTRY_BYTES}-byte entries, fsync always, ${base})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
