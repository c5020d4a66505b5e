// Why a data directory cannot be opened, as typed errors that name the file
// and the byte offset. These are expected conditions at the edge (a disk
// went bad, an operator pointed two nodes at one directory), not bugs, so
// they are errors and not assertions. docs/durability.md says what to do
// about each.

export type StorageErrorKind =
  /** A record that may have been acknowledged is unreadable or fails its checksum. */
  | 'corrupt'
  /** The directory belongs to another node id or group. */
  | 'identity'
  /** Written by a format version this build does not know. */
  | 'format'
  /** Another live process holds the directory's lock. */
  | 'locked';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(readonly kind: StorageErrorKind, readonly file: string, readonly offset: number, detail: string) {
    super(`${kind}: ${file} at offset ${offset}: ${detail}`);
  }
}

/** One repair recovery made on open: a torn or unsynced tail cut off, or an unsynced file removed. */
export interface RecoveryFinding {
  readonly action: 'truncated' | 'removed';
  readonly file: string;
  /** For 'truncated': the file's new length; for 'removed': 0. */
  readonly offset: number;
  /** Bytes dropped. */
  readonly bytes: number;
  readonly reason: string;
}
