// Measures what preallocating a log segment would save: 2,000 write +
// fdatasync pairs appended to a growing file, against the same over a file
// whose blocks were written (zeros) and synced once beforehand, so that
// fdatasync need not commit a new file size to the journal (ext4). The
// question docs/durability.md ("One fdatasync per sync", option c) answers
// with it. Not a test; run after `npm run build`, in the data directory's
// file system:
//   node dist/test/storage/measure-prealloc.js [dir] [writeBytes]

import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Pairs per run: a few seconds on a disk that syncs in about a millisecond. */
const PAIRS = 2_000;
const ROUNDS = 3;
const WRITE_BYTES_DEFAULT = 2_048;
/** The zeros are written in pieces of this size (one allocation, not one per pair). */
const ZERO_CHUNK_BYTES = 1 << 20;

function microsPerPair(dir: string, preallocate: boolean, writeBytes: number): number {
  const path = join(dir, preallocate ? 'preallocated.seg' : 'growing.seg');
  const fd = openSync(path, 'w+');
  try {
    if (preallocate) {
      const zeros = new Uint8Array(ZERO_CHUNK_BYTES);
      for (let offset = 0; offset < PAIRS * writeBytes; offset += zeros.length) writeSync(fd, zeros, 0, zeros.length, offset);
      fdatasyncSync(fd);
    }
    const data = new Uint8Array(writeBytes).fill(7);
    const start = performance.now();
    for (let i = 0; i < PAIRS; i++) {
      writeSync(fd, data, 0, writeBytes, i * writeBytes);
      fdatasyncSync(fd);
    }
    return ((performance.now() - start) * 1000) / PAIRS;
  } finally {
    closeSync(fd);
    rmSync(path);
  }
}

const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'piccolo-prealloc-'));
const writeBytes = Number(process.argv[3] ?? WRITE_BYTES_DEFAULT);
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const growing = microsPerPair(dir, false, writeBytes);
    const preallocated = microsPerPair(dir, true, writeBytes);
    console.log(`round ${round}: growing ${growing.toFixed(0)} µs/pair, preallocated ${preallocated.toFixed(0)} µs/pair (${writeBytes}-byte writes, ${PAIRS} pairs)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
