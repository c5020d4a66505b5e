// A simulated disk: an in-memory directory implementing core's FileSystem,
// so the storage engine (core/storage/log-storage.ts) runs over it
// unchanged, and a seeded Random choosing the faults real disks have:
// - at a crash, writes not yet fsynced are lost, torn (a prefix persists) or
//   kept, each independently (page-cache writeback has no order), and
//   directory changes not yet fsynced are lost after a random prefix;
// - latent errors in stored data: a flipped bit, an unreadable sector
//   (reads overlapping it throw StorageIoError until it is rewritten);
// - misdirected writes: a write lands at another offset of the same file,
//   the intended range keeps its old bytes;
// - slow fsync: an fsync takes extra time, reported through
//   takeFsyncLatencyMs() for the simulator's clock to charge.
// Every fault taken is recorded in `faultLog`, so a seed's damage can be
// printed and replayed. `armCrash(n)` makes the n-th mutating call throw
// SimCrash before it happens, to crash at an exact point; crash() is a
// power loss, processCrash() a kill -9 (the page cache survives).

import { assert } from '../core/assert.js';
import { ByteSlab } from '../core/byte-slab.js';
import type { Random } from '../core/random.js';
import { StorageIoError, type FileSystem, type StorageFile } from '../core/storage/file-system.js';

/** Reads fail per sector, as on real drives: 512 bytes. */
export const SIM_SECTOR_BYTES = 512;

export interface SimDiskFaults {
  /** At a crash, chance that each unsynced write is lost entirely. */
  readonly crashLostWriteChance: number;
  /** At a crash, chance that each unsynced write that is not lost is torn: only a random prefix of it persists. */
  readonly crashTornWriteChance: number;
  /** Chance that a write lands at another offset of the same file. */
  readonly misdirectedWriteChance: number;
  /**
   * At most this many misdirected writes per disk. One storage copy can only
   * be asked to detect a single such fault (two can together hide the loss
   * of acknowledged data); a cluster places them so a good copy remains.
   */
  readonly misdirectedWritesMax: number;
  /** Chance that an fsync is slow, and how slow. */
  readonly fsyncSlowChance: number;
  readonly fsyncSlowMs: number;
}

/** Crash damage only: what any disk does at a power loss. */
export const CRASH_ONLY_FAULTS: SimDiskFaults = Object.freeze({
  crashLostWriteChance: 0.3, crashTornWriteChance: 0.3, misdirectedWriteChance: 0, misdirectedWritesMax: 0, fsyncSlowChance: 0, fsyncSlowMs: 0,
});

export type SimDiskFault =
  | { readonly kind: 'lost' | 'torn'; readonly file: string; readonly offset: number; readonly bytes: number; readonly kept: number }
  | { readonly kind: 'dirLost'; readonly op: string }
  | { readonly kind: 'bitFlip'; readonly file: string; readonly offset: number; readonly bit: number }
  | { readonly kind: 'unreadable'; readonly file: string; readonly sector: number }
  | { readonly kind: 'misdirected'; readonly file: string; readonly intended: number; readonly landed: number; readonly bytes: number }
  | { readonly kind: 'slowFsync'; readonly file: string; readonly ms: number };

/** Thrown by the armed call: the machine stopped before doing it. */
export class SimCrash extends Error {
  override name = 'SimCrash';
}

type PendingWrite = { kind: 'write'; offset: number; bytes: Uint8Array } | { kind: 'truncate'; size: number };
type DirOp = { kind: 'link'; name: string; inode: Inode } | { kind: 'unlink'; name: string };

/** How to take back one change to a file: its length before, and the bytes it overwrote at `offset`. */
interface Undo { readonly length: number; readonly offset: number; readonly old: Uint8Array }

/** Room a file's buffer starts with; it doubles as the file grows, so appends cost their own bytes only. */
const INODE_BYTES_INITIAL = 256;

/**
 * A file. What reads see (the page cache) lives in a buffer with spare room;
 * what survives a crash for sure (the contents at the last fsync) is not a
 * second copy but the page cache with the undo records of every change since
 * taken back, built only when a crash asks for it. So a write costs its own
 * bytes and an fsync costs nothing, where copying whole files made each
 * grow with the file.
 */
class Inode {
  private buffer = new Uint8Array(INODE_BYTES_INITIAL);
  length = 0;
  /** Changes since the last fsync, oldest first: what a crash may keep, tear or lose. */
  pending: PendingWrite[] = [];
  /** One per change since the last fsync, oldest first. */
  private undos: Undo[] = [];
  unreadableSectors = new Set<number>();

  /** The page cache (a view: valid until the next change). */
  get current(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** The contents at the last fsync (a fresh copy). */
  durable(): Uint8Array {
    let bytes: Uint8Array = this.current.slice();
    for (let i = this.undos.length - 1; i >= 0; i--) {
      const undo = this.undos[i]!;
      bytes = resized(bytes, undo.length);
      bytes.set(undo.old, undo.offset);
    }
    return bytes;
  }

  /** Writes `bytes` at `offset` (zeros fill any gap past the end); `minLength` grows the file further with zeros. */
  write(offset: number, bytes: Uint8Array, minLength = 0): void {
    const end = Math.max(offset + bytes.length, minLength);
    const overwritten = Math.min(this.length, offset + bytes.length);
    this.undos.push({ length: this.length, offset, old: offset < overwritten ? slab.copy(this.buffer.subarray(offset, overwritten)) : EMPTY });
    if (end > this.length) this.setLength(end);
    this.buffer.set(bytes, offset);
  }

  truncate(size: number): void {
    this.undos.push({ length: this.length, offset: Math.min(size, this.length), old: slab.copy(this.buffer.subarray(Math.min(size, this.length), this.length)) });
    this.setLength(size);
  }

  /** Everything so far is durable. */
  synced(): void {
    this.pending = [];
    this.undos = [];
  }

  /** Replaces the contents, durably (after a crash, or by a test). */
  reset(bytes: Uint8Array): void {
    this.buffer = new Uint8Array(Math.max(INODE_BYTES_INITIAL, bytes.length));
    this.buffer.set(bytes);
    this.length = bytes.length;
    this.synced();
  }

  /** Flips a bit of the stored data: in the page cache, and in the durable contents where they differ. */
  flipBit(offset: number, bit: number): void {
    if (offset < this.length) this.buffer[offset]! ^= 1 << bit;
    // The durable byte is kept by the oldest change that overwrote it, if any; else it is the page cache's.
    for (const undo of this.undos) {
      if (offset >= undo.offset && offset < undo.offset + undo.old.length) {
        undo.old[offset - undo.offset]! ^= 1 << bit;
        return;
      }
    }
  }

  private setLength(length: number): void {
    if (length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(length, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    } else if (length < this.length) {
      // Bytes past the end read as zeros if the file grows again.
      this.buffer.fill(0, length, this.length);
    }
    this.length = length;
  }
}

const EMPTY = new Uint8Array(0);
/** Pending writes and undo records live until the next fsync: small copies, cut from slabs. */
const slab = new ByteSlab();

export class SimDisk implements FileSystem {
  readonly faultLog: SimDiskFault[] = [];
  /** Calls made to the file system, by kind (syncDir and fsync counts are what tests spy on). */
  readonly calls = { mutating: 0, fsync: 0, syncDir: 0, write: 0, rename: 0, unlink: 0 };
  private dir = new Map<string, Inode>();
  private durableDir = new Map<string, Inode>();
  private dirPending: DirOp[] = [];
  private epoch = 0;
  private crashCountdown: number | null = null;
  private fsyncLatencyMs = 0;
  private misdirectedWrites = 0;
  /**
   * Asked before a write is misdirected (its chance came up): false keeps
   * it on target. A cluster places write faults through it so that another
   * replica keeps a good copy of every record (disk-damage.ts).
   */
  misdirectGate: ((fault: SimDiskFault) => boolean) | null = null;

  /** The fault knobs: set at construction, or later by a cluster run that turns on write-path faults (disk-damage.ts). */
  constructor(private readonly random: Random, public faults: SimDiskFaults = CRASH_ONLY_FAULTS) {}

  list(): string[] {
    return [...this.dir.keys()];
  }

  open(name: string, mode: 'existing' | 'create'): StorageFile {
    const existing = this.dir.get(name);
    if (mode === 'existing') {
      if (!existing) throw new Error(`ENOENT: ${name}`);
      return new SimFile(this, name, existing, this.epoch);
    }
    if (existing) throw new Error(`EEXIST: ${name}`);
    this.mutating();
    const inode = new Inode();
    this.link(name, inode);
    return new SimFile(this, name, inode, this.epoch);
  }

  rename(from: string, to: string): void {
    const inode = this.dir.get(from);
    if (!inode) throw new Error(`ENOENT: ${from}`);
    this.mutating();
    this.calls.rename++;
    this.unlinkName(from);
    this.link(to, inode);
  }

  unlink(name: string): void {
    if (!this.dir.has(name)) throw new Error(`ENOENT: ${name}`);
    this.mutating();
    this.calls.unlink++;
    this.unlinkName(name);
  }

  syncDir(): void {
    this.mutating();
    this.calls.syncDir++;
    this.durableDir = new Map(this.dir);
    this.dirPending = [];
  }

  /** The n-th mutating call from now (1 = the next) throws SimCrash instead of happening. */
  armCrash(callsFromNow: number): void {
    assert(callsFromNow >= 1, 'arm a crash at least one call ahead');
    this.crashCountdown = callsFromNow;
  }

  /**
   * A process crash (kill -9): the operating system keeps the page cache, so
   * every write so far survives, synced or not. Open files become unusable.
   */
  processCrash(): void {
    this.epoch++;
    this.crashCountdown = null;
  }

  /**
   * Power loss: directory changes since the last directory fsync survive up
   * to a random point; each file keeps its durable contents plus each
   * unsynced write kept, torn or lost. Open files become unusable.
   */
  crash(): void {
    this.epoch++;
    this.crashCountdown = null;
    const keptOps = this.random.int(0, this.dirPending.length);
    const dir = new Map(this.durableDir);
    for (const [i, op] of this.dirPending.entries()) {
      if (i >= keptOps) {
        this.faultLog.push({ kind: 'dirLost', op: `${op.kind} ${op.name}` });
        continue;
      }
      if (op.kind === 'link') dir.set(op.name, op.inode);
      else dir.delete(op.name);
    }
    for (const [name, inode] of dir) this.settle(name, inode);
    this.dir = dir;
    this.durableDir = new Map(dir);
    this.dirPending = [];
  }

  /** Flips one random bit of a random non-empty file (or of `name`); returns where, or null if there is no data. */
  flipRandomBit(name?: string): SimDiskFault | null {
    const target = this.pickFile(name);
    if (!target) return null;
    const [file, inode] = target;
    const offset = this.random.int(0, inode.current.length - 1);
    const bit = this.random.int(0, 7);
    inode.flipBit(offset, bit);
    const fault = { kind: 'bitFlip', file, offset, bit } as const;
    this.faultLog.push(fault);
    return fault;
  }

  /** Makes one random sector of a random non-empty file (or of `name`) unreadable. */
  makeRandomSectorUnreadable(name?: string): SimDiskFault | null {
    const target = this.pickFile(name);
    if (!target) return null;
    const [file, inode] = target;
    const sector = this.random.int(0, Math.floor((inode.current.length - 1) / SIM_SECTOR_BYTES));
    inode.unreadableSectors.add(sector);
    const fault = { kind: 'unreadable', file, sector } as const;
    this.faultLog.push(fault);
    return fault;
  }

  /**
   * A misdirected write found later: a range of a random non-empty file (or
   * of `name`) now holds bytes meant for another offset of it. For a disk at
   * rest (a node that is down): the write path's own misdirection is
   * `misdirectedWriteChance`.
   */
  misdirectRandomRange(name?: string): SimDiskFault | null {
    const target = this.pickFile(name);
    if (!target) return null;
    const [file, inode] = target;
    const bytes = inode.current.slice();
    const length = Math.min(bytes.length, this.random.int(1, SIM_SECTOR_BYTES));
    const intended = this.random.int(0, bytes.length - length);
    const landed = this.random.int(0, bytes.length - length);
    bytes.copyWithin(landed, intended, intended + length);
    inode.reset(bytes);
    const fault = { kind: 'misdirected', file, intended, landed, bytes: length } as const;
    this.faultLog.push(fault);
    return fault;
  }

  /** Misdirected writes of the write path so far (not those of misdirectRandomRange). */
  get misdirectedWriteCount(): number {
    return this.misdirectedWrites;
  }

  /** Time fsyncs took beyond normal since the last call (for the simulator's clock). */
  takeFsyncLatencyMs(): number {
    const ms = this.fsyncLatencyMs;
    this.fsyncLatencyMs = 0;
    return ms;
  }

  /** The current bytes of a file (tests inspect and damage them through here). */
  bytesOf(name: string): Uint8Array {
    const inode = this.dir.get(name);
    assert(inode, () => `no file ${name}`);
    return inode.current;
  }

  /** Replaces a file's contents, durably (tests cut and damage files through here). */
  setBytes(name: string, bytes: Uint8Array): void {
    const inode = this.dir.get(name);
    assert(inode, () => `no file ${name}`);
    inode.reset(bytes);
  }

  // ---- used by SimFile -------------------------------------------------------

  /** @internal */
  checkEpoch(epoch: number, name: string): void {
    if (epoch !== this.epoch) throw new Error(`${name}: file handle from before a crash`);
  }

  /** @internal Counts a mutating call and throws if it is the armed one. */
  mutating(): void {
    this.calls.mutating++;
    if (this.crashCountdown === null) return;
    this.crashCountdown--;
    if (this.crashCountdown === 0) {
      this.crashCountdown = null;
      throw new SimCrash('simulated crash');
    }
  }

  /** @internal */
  write(name: string, inode: Inode, offset: number, bytes: Uint8Array): void {
    this.mutating();
    this.calls.write++;
    let landed = offset;
    if (bytes.length > 0 && inode.current.length > 0 && this.misdirectedWrites < this.faults.misdirectedWritesMax
      && this.random.chance(this.faults.misdirectedWriteChance)) {
      landed = this.random.int(0, inode.current.length - 1);
      if (landed === offset) landed = (offset + SIM_SECTOR_BYTES) % (inode.current.length + 1);
      const fault = { kind: 'misdirected', file: name, intended: offset, landed, bytes: bytes.length } as const;
      if (this.misdirectGate !== null && !this.misdirectGate(fault)) landed = offset;
    }
    if (landed !== offset) {
      this.misdirectedWrites++;
      this.faultLog.push({ kind: 'misdirected', file: name, intended: offset, landed, bytes: bytes.length });
      // The intended range still grows the file (its old bytes, or zeros), the data lands elsewhere.
      inode.write(offset, EMPTY, offset + bytes.length);
    }
    const op: PendingWrite = { kind: 'write', offset: landed, bytes: slab.copy(bytes) };
    inode.pending.push(op);
    inode.write(landed, op.bytes);
    if (inode.unreadableSectors.size === 0) return; // the common case: no latent error to heal
    for (let s = Math.floor(landed / SIM_SECTOR_BYTES); s * SIM_SECTOR_BYTES < landed + bytes.length; s++) inode.unreadableSectors.delete(s);
  }

  /** @internal */
  truncate(inode: Inode, size: number): void {
    this.mutating();
    const op: PendingWrite = { kind: 'truncate', size };
    inode.pending.push(op);
    inode.truncate(size);
  }

  /** @internal */
  fsync(name: string, inode: Inode): void {
    this.mutating();
    this.calls.fsync++;
    inode.synced();
    if (this.random.chance(this.faults.fsyncSlowChance)) {
      this.fsyncLatencyMs += this.faults.fsyncSlowMs;
      this.faultLog.push({ kind: 'slowFsync', file: name, ms: this.faults.fsyncSlowMs });
    }
  }

  /** @internal */
  read(name: string, inode: Inode, offset: number, length: number): Uint8Array {
    const end = Math.min(inode.current.length, offset + length);
    for (let s = Math.floor(offset / SIM_SECTOR_BYTES); s * SIM_SECTOR_BYTES < end; s++) {
      if (inode.unreadableSectors.has(s)) throw new StorageIoError(name, Math.max(offset, s * SIM_SECTOR_BYTES), 'unreadable sector (EIO)');
    }
    return inode.current.slice(offset, end);
  }

  private link(name: string, inode: Inode): void {
    this.dir.set(name, inode);
    this.dirPending.push({ kind: 'link', name, inode });
  }

  private unlinkName(name: string): void {
    this.dir.delete(name);
    this.dirPending.push({ kind: 'unlink', name });
  }

  /** A file's contents after a crash: durable bytes, then each unsynced write kept, torn or lost. */
  private settle(name: string, inode: Inode): void {
    let bytes = inode.durable();
    for (const op of inode.pending) {
      if (op.kind === 'truncate') {
        if (this.random.chance(0.5)) bytes = applyWrite(bytes, op);
        continue;
      }
      if (this.random.chance(this.faults.crashLostWriteChance)) {
        this.faultLog.push({ kind: 'lost', file: name, offset: op.offset, bytes: op.bytes.length, kept: 0 });
      } else if (op.bytes.length > 1 && this.random.chance(this.faults.crashTornWriteChance)) {
        const kept = this.random.int(1, op.bytes.length - 1);
        this.faultLog.push({ kind: 'torn', file: name, offset: op.offset, bytes: op.bytes.length, kept });
        bytes = applyWrite(bytes, { kind: 'write', offset: op.offset, bytes: op.bytes.subarray(0, kept) });
      } else {
        bytes = applyWrite(bytes, op);
      }
    }
    inode.reset(bytes);
  }

  private pickFile(name?: string): [string, Inode] | null {
    const files = [...this.dir].filter(([n, inode]) => (name === undefined || n === name) && inode.current.length > 0);
    files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return files.length === 0 ? null : this.random.pick(files);
  }
}

class SimFile implements StorageFile {
  constructor(private readonly disk: SimDisk, readonly name: string, private readonly inode: Inode, private readonly epoch: number) {}

  size(): number {
    this.disk.checkEpoch(this.epoch, this.name);
    return this.inode.length;
  }

  read(offset: number, length: number): Uint8Array {
    this.disk.checkEpoch(this.epoch, this.name);
    return this.disk.read(this.name, this.inode, offset, length);
  }

  append(bytes: Uint8Array): void {
    this.disk.checkEpoch(this.epoch, this.name);
    this.disk.write(this.name, this.inode, this.inode.length, bytes);
  }

  pwrite(offset: number, bytes: Uint8Array): void {
    this.disk.checkEpoch(this.epoch, this.name);
    this.disk.write(this.name, this.inode, offset, bytes);
  }

  truncate(size: number): void {
    this.disk.checkEpoch(this.epoch, this.name);
    this.disk.truncate(this.inode, size);
  }

  sync(): void {
    this.disk.checkEpoch(this.epoch, this.name);
    this.disk.fsync(this.name, this.inode);
  }

  close(): void {
    // Nothing to release; a closed handle is simply not used again.
  }
}

/** Bytes after a write or truncation (a crash settling a file; the page cache changes in place). */
function applyWrite(bytes: Uint8Array, op: PendingWrite): Uint8Array {
  if (op.kind === 'truncate') return resized(bytes, op.size);
  const length = Math.max(bytes.length, op.offset + op.bytes.length);
  const out = length === bytes.length ? bytes.slice() : resized(bytes, length);
  out.set(op.bytes, op.offset);
  return out;
}

/** A copy of `bytes` cut or grown with zeros to `length`. */
function resized(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, Math.min(bytes.length, length)));
  return out;
}
