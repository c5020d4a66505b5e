// The 16 bytes every storage file (segment, state slot, snapshot) starts
// with: magic u32, format version u16, reserved u16, node id u32, group id u32.
// A file that passes its checksum but has another version or identity is not
// damaged, it is not ours: that refuses the open with its own error kind.

import type { ByteWriter } from '../ring/byte-writer.js';
import { StorageError } from './storage-errors.js';
import { STORAGE_FORMAT_VERSION } from './storage-limits.js';

/** Whose data a directory holds: refused if it does not match. */
export interface StorageIdentity {
  readonly nodeId: number;
  readonly groupId: number;
}

export const FILE_HEADER_BYTES = 16;

export function writeFileHeader(w: ByteWriter, magic: number, identity: StorageIdentity): void {
  w.u32(magic);
  w.u16(STORAGE_FORMAT_VERSION);
  w.u16(0);
  w.u32(identity.nodeId);
  w.u32(identity.groupId);
}

/** The format version at `offset` (a header whose magic matched); throws StorageError('format') for another version. */
export function checkFormatVersion(file: string, bytes: Uint8Array, offset: number): void {
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(offset + 4, true);
  if (version !== STORAGE_FORMAT_VERSION) {
    throw new StorageError('format', file, offset + 4, `format version ${version}; this build reads only version ${STORAGE_FORMAT_VERSION}`);
  }
}

/** Throws StorageError('identity') when the header at `offset` names another node or group. */
export function checkFileIdentity(file: string, bytes: Uint8Array, offset: number, expected: StorageIdentity): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nodeId = view.getUint32(offset + 8, true);
  const groupId = view.getUint32(offset + 12, true);
  if (nodeId !== expected.nodeId || groupId !== expected.groupId) {
    throw new StorageError('identity', file, offset + 8,
      `written by node ${nodeId} group ${groupId}; this is node ${expected.nodeId} group ${expected.groupId}`);
  }
}
