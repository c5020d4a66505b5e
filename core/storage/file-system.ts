// The file API the storage engine needs, and nothing more: one directory of
// flat files, opened for appending or writing in place, read back, fsynced,
// renamed and removed. runtime-node implements it with node:fs (synchronous:
// the storage runs on a worker thread, where a blocking fsync is exactly the
// group-commit point); runtime-sim implements it with a simulated disk that
// loses, tears and corrupts writes. The engine in log-storage.ts runs
// unchanged over either.
//
// Durability contract (what the engine relies on, what the sim disk breaks
// only at a crash): bytes written to a file are durable after that file's
// sync(); a file's creation, rename or removal is durable after syncDir().

export interface StorageFile {
  readonly name: string;
  /** Current length in bytes (including writes not yet synced). */
  size(): number;
  /** Bytes [offset, offset + length) in a buffer of their own (recovery keeps views into it); throws StorageIoError for an unreadable range. */
  read(offset: number, length: number): Uint8Array;
  /** Writes at the current end. */
  append(bytes: Uint8Array): void;
  /** Writes in place (may extend the file). */
  pwrite(offset: number, bytes: Uint8Array): void;
  /** Cuts the file to `size` bytes. */
  truncate(size: number): void;
  /** fsync: the contents (and length) written so far are durable when it returns. */
  sync(): void;
  close(): void;
}

export interface FileSystem {
  /** Names of the files in the directory, in no particular order. */
  list(): string[];
  /** Opens an existing file; with `create`, creates it and fails if it exists. */
  open(name: string, mode: 'existing' | 'create'): StorageFile;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): void;
  unlink(name: string): void;
  /** fsync of the directory itself: creations, renames and removals so far are durable. */
  syncDir(): void;
}

/** A read the device could not serve (an unreadable sector, EIO): the bytes are unknown, never zeros. */
export class StorageIoError extends Error {
  override name = 'StorageIoError';
  constructor(readonly file: string, readonly offset: number, message: string) {
    super(`${file} at offset ${offset}: ${message}`);
  }
}

/** The whole file's bytes. */
export function readAll(file: StorageFile): Uint8Array {
  return file.read(0, file.size());
}
