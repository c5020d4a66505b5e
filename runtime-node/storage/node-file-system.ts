// core's FileSystem over one real directory, with node:fs's synchronous
// calls. Synchronous on purpose: the storage runs on a shard's worker
// thread, and a blocking fdatasync there is the group-commit point (the
// worker gathers a Ready's writes, syncs once, then lets replies go).

import {
  closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { StorageIoError, type FileSystem, type StorageFile } from '../../core/storage/file-system.js';

export class NodeFileSystem implements FileSystem {
  constructor(readonly dir: string) {}

  list(): string[] {
    return readdirSync(this.dir);
  }

  open(name: string, mode: 'existing' | 'create'): StorageFile {
    // 'wx+': O_CREAT | O_EXCL, so two openers never both think they created it.
    const fd = openSync(join(this.dir, name), mode === 'create' ? 'wx+' : 'r+');
    return new NodeFile(name, fd);
  }

  rename(from: string, to: string): void {
    renameSync(join(this.dir, from), join(this.dir, to));
  }

  unlink(name: string): void {
    unlinkSync(join(this.dir, name));
  }

  syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

class NodeFile implements StorageFile {
  private length: number;
  private open = true;

  constructor(readonly name: string, private readonly fd: number) {
    this.length = fstatSync(fd).size;
  }

  size(): number {
    return this.length;
  }

  read(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.length - offset));
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      let got: number;
      try {
        got = readSync(this.fd, out, done, n - done, offset + done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EIO') throw new StorageIoError(this.name, offset + done, 'EIO');
        throw e;
      }
      if (got === 0) break;
      done += got;
    }
    return done === n ? out : out.subarray(0, done);
  }

  append(bytes: Uint8Array): void {
    this.pwrite(this.length, bytes);
  }

  pwrite(offset: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, offset + done);
    this.length = Math.max(this.length, offset + bytes.length);
  }

  truncate(size: number): void {
    ftruncateSync(this.fd, size);
    this.length = size;
  }

  sync(): void {
    // fdatasync: the data and the length (needed to read it back), not timestamps.
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}
