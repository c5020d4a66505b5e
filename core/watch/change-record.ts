// Changes on the reply ring, worker -> IO thread. A change record is an
// unsolicited record among the replies: its tag is CHANGE_TAG, which the IO
// side never gives a request (core/node/shard-channel.ts stops its tags
// below it). Two kinds:
//   begin:  tag | 0 | group u16 | appliedIndex f64 | logId f64
//           "from here on, every change of `group` after this entry follows;
//           its log is `logId`" (core/replica/log-id.ts; 0: not known yet)
//   identify: tag | 5 | group u16 | logId f64
//           "`group`'s log is `logId`": its first entry told it; the
//           reports since the begin go on, nothing skipped
//   change: tag | kind (1 set, 2 delete, 3 expire, 4 set without value) | group u16 | version f64 | seq u32 | key | value (1 only)
//   (a collection's set carries no value: core/shard/shard.ts recordSet)
// The worker's ChangeOutbox encodes them as the shards apply entries; they
// go on the ring before the replies of the same drain, so the IO thread
// learns of a write's change no later than of its reply.

import { assert } from '../assert.js';
import { ByteReader, ByteWriter } from '../ring/byte-writer.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { SEQ_END, type Change, type ChangeKind, type ChangeSink } from './change.js';

/** The tag of an unsolicited change record (no request ever has it). */
export const CHANGE_TAG = 0xffff_ffff;

const KIND_BEGIN = 0;
const KIND_CODES: Readonly<Record<ChangeKind, number>> = { set: 1, delete: 2, expire: 3 };
const KINDS: readonly (ChangeKind | null)[] = [null, 'set', 'delete', 'expire', 'set'];
/** A 'set' without a value (a hash, list ... changed: watchers read it for its contents). */
const KIND_SET_BARE = 4;
const KIND_IDENTIFY = 5;

export type ChangeRecord =
  | { kind: 'begin'; group: number; appliedIndex: number; logId: number }
  | { kind: 'identify'; group: number; logId: number }
  | { kind: 'change'; change: Change };

/** Whether the record at `start` is a change record (its tag says so). */
export function isChangeRecord(bytes: Uint8Array, start: number): boolean {
  return bytes[start] === 0xff && bytes[start + 1] === 0xff && bytes[start + 2] === 0xff && bytes[start + 3] === 0xff;
}

/** A change record, its bytes copied (the ring space is reused once released). */
export function decodeChangeRecord(bytes: Uint8Array, start: number, end: number): ChangeRecord {
  const r = new ByteReader(bytes, start, end);
  assert(r.u32() === CHANGE_TAG, 'not a change record');
  const code = r.u8();
  const group = r.u16();
  const index = r.f64();
  if (code === KIND_BEGIN) return { kind: 'begin', group, appliedIndex: index, logId: r.f64() };
  if (code === KIND_IDENTIFY) return { kind: 'identify', group, logId: index };
  const kind = KINDS[code];
  assert(kind !== undefined && kind !== null, () => `change record of unknown kind ${code}`);
  const seq = r.u32();
  const key = r.bytesView().slice();
  const value = code === KIND_CODES.set ? r.bytesView().slice() : null;
  return { kind: 'change', change: { group, key, kind, value, version: index, seq } };
}

/**
 * The worker's side: a ChangeSink for its shards that encodes each change
 * (and each group's begin) for the reply ring, in order, until the ring
 * takes them. Numbers the changes of an entry 0, 1, ... as they come.
 */
export class ChangeOutbox implements ChangeSink {
  private readonly writer = new ByteWriter(4096);
  private queue: Uint8Array[] = [];
  private head = 0;
  private lastGroup = -1;
  private lastVersion = -1;
  private nextSeq = 0;

  /** Records waiting for the ring. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  begin(group: number, appliedIndex: number, logId: number): void {
    const w = this.start(KIND_BEGIN, group, appliedIndex);
    w.f64(logId);
    this.enqueue(w);
    if (group === this.lastGroup) this.lastVersion = -1;
  }

  identify(group: number, logId: number): void {
    this.enqueue(this.start(KIND_IDENTIFY, group, logId));
  }

  record(group: number, version: number, kind: ChangeKind, key: Uint8Array, value: Uint8Array | null): void {
    if (group !== this.lastGroup || version !== this.lastVersion) {
      this.lastGroup = group;
      this.lastVersion = version;
      this.nextSeq = 0;
    }
    assert(this.nextSeq < SEQ_END, 'an entry made more changes than a rank can number');
    assert(kind === 'set' || value === null, 'only a set change carries a value');
    const w = this.start(kind === 'set' && value === null ? KIND_SET_BARE : KIND_CODES[kind], group, version);
    w.u32(this.nextSeq++);
    w.bytesField(key);
    if (value !== null) w.bytesField(value);
    this.enqueue(w);
  }

  /** Put waiting records on the ring while it has room (the caller publishes); returns how many went. */
  writeTo(ring: SpscRing): number {
    const from = this.head;
    while (this.head < this.queue.length) {
      const record = this.queue[this.head]!;
      assert(record.length <= ring.payloadBytesMax, 'a change record larger than a ring record (limits not enforced?)');
      if (!ring.tryWrite(record)) return this.head - from;
      this.queue[this.head++] = EMPTY;
    }
    const written = this.head - from;
    this.queue = [];
    this.head = 0;
    return written;
  }

  private start(code: number, group: number, index: number): ByteWriter {
    const w = this.writer;
    w.reset();
    w.u32(CHANGE_TAG);
    w.u8(code);
    w.u16(group);
    w.f64(index);
    return w;
  }

  private enqueue(w: ByteWriter): void {
    this.queue.push(w.bytes().slice());
  }
}

const EMPTY = new Uint8Array(0);
