// The layout of a snapshot file. A snapshot is written whole to
// snapshot-<index>.snap.tmp, fsynced, renamed to snapshot-<index>.snap and the
// directory fsynced (log-storage.ts); it is read whole and checked here.
//
//   magic u32 "PCSN", version u16, reserved u16, node u32, group u32,
//   index u53, term u53, voters (u32 count, u32 each), learners (same),
//   data (u32 length + bytes), crc32c u32 of everything before it

import type { Snapshot } from '../raft/raft-types.js';
import { ByteReader, ByteWriter } from '../ring/byte-writer.js';
import { crc32c } from './crc32c.js';
import { checkFileIdentity, checkFormatVersion, FILE_HEADER_BYTES, writeFileHeader, type StorageIdentity } from './file-header.js';
import { StorageError } from './storage-errors.js';
import { readU53, writeU53 } from './u53.js';

export const SNAPSHOT_MAGIC = 0x4e534350; // "PCSN" as little-endian bytes
export const TEMP_SUFFIX = '.tmp';

const SNAPSHOT_NAME = /^snapshot-(\d{20})\.snap$/;

export function snapshotName(index: number): string {
  return `snapshot-${String(index).padStart(20, '0')}.snap`;
}

export function parseSnapshotName(name: string): number | null {
  const m = SNAPSHOT_NAME.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * A snapshot file's bytes as the parts to write one after the other: the
 * header and metadata (with the data's length), the data itself (not
 * copied: a snapshot is the size of the shard's state, and a second copy
 * of it would double the memory a snapshot costs), and the checksum.
 */
export function encodeSnapshotFile(identity: StorageIdentity, snapshot: Snapshot): Uint8Array[] {
  const { meta, data } = snapshot;
  const w = new ByteWriter(128);
  writeFileHeader(w, SNAPSHOT_MAGIC, identity);
  writeU53(w, meta.index);
  writeU53(w, meta.term);
  for (const ids of [meta.membership.voters, meta.membership.learners]) {
    w.u32(ids.length);
    for (const id of ids) w.u32(id);
  }
  w.u32(data.length);
  const head = w.bytes().slice();
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32c(data, crc32c(head)), true);
  return [head, data, crc];
}

/**
 * The snapshot in a file's bytes. Damage throws StorageError('corrupt')
 * naming the file: a snapshot in force is never treated as absent.
 */
export function decodeSnapshotFile(name: string, bytes: Uint8Array, identity: StorageIdentity): Snapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 20 || view.getUint32(0, true) !== SNAPSHOT_MAGIC) {
    throw new StorageError('corrupt', name, 0, 'not a snapshot file (bad magic or cut short)');
  }
  const crcAt = bytes.length - 4;
  if (crc32c(bytes, 0, 0, crcAt) !== view.getUint32(crcAt, true)) {
    throw new StorageError('corrupt', name, 0, `snapshot checksum mismatch over bytes 0..${crcAt}`);
  }
  checkFormatVersion(name, bytes, 0);
  checkFileIdentity(name, bytes, 0, identity);
  try {
    const r = new ByteReader(bytes, FILE_HEADER_BYTES, crcAt);
    const index = readU53(r);
    const term = readU53(r);
    const readIds = (): number[] => Array.from({ length: r.u32() }, () => r.u32());
    const voters = readIds();
    const learners = readIds();
    // A view, not a copy: the bytes were read for this call (FileSystem.read gives a buffer of its own) and
    // nothing writes them; copying a large snapshot was a second pass over it and as many fresh pages.
    const data = r.bytesView();
    if (r.remaining !== 0) throw new RangeError('bytes after the data');
    return { meta: { index, term, membership: { voters, learners } }, data };
  } catch (e) {
    if (e instanceof RangeError) throw new StorageError('corrupt', name, 16, `malformed snapshot: ${e.message}`);
    throw e;
  }
}
