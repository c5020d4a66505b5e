// Raft messages between nodes (schema/peer.capnp): a batch of (group,
// message) pairs per transport write, in both directions: the bytes the real
// transport sends and the simulator's network is to carry.
//
// decodePeerBatch never throws: garbage, a frame over a limit, or a message
// that breaks the rules in schema/peer-rules.ts refuses the whole batch with
// a message saying why, and the transport closes that link (a peer that sends
// one bad message cannot be trusted with the rest of its stream). Both
// directions work on the wire layout directly (schema/fast-capnp/), not
// capnp-ts: these are on every replication round trip.
//
// Heartbeats are coalesced here (peer.capnp, GroupHeartbeat): every heartbeat
// and heartbeat response without a read-index context in a batch becomes one
// small list entry instead of a RaftMessage, and decoding expands it back into
// the same message. A batch decodes as its other frames in their order, then
// its coalesced heartbeats in theirs (`peerBatchOrder`): Raft takes messages
// in any order, as the network may reorder them anyway.

import type { PeerLimits } from '../core/limits.js';
import type { Entry, EntryKind, Message, Snapshot } from '../core/raft/raft-types.js';
import type { PeerFrame } from '../core/replica/peer-frame.js';
import { unreachable } from '../core/assert.js';
import type { ByteSlab } from '../core/byte-slab.js';
import { MessageBuilder } from './fast-capnp/message-builder.js';
import { ListTooLong, MessageReader, type StructRef } from './fast-capnp/message-reader.js';
import {
  AppendLayout, AppendResponseLayout, EntryKindTag, EntryLayout, GroupHeartbeatLayout, HeartbeatLayout, HeartbeatResponseLayout, MembershipLayout,
  PeerBatchLayout, PeerFrameLayout, RaftMessageLayout, RaftMessageTag, ReadIndexLayout, ReadIndexResponseLayout,
  SnapshotLayout, SnapshotMemberLayout, SnapshotMetaLayout, SnapshotResponseLayout, VoteLayout, VoteResponseLayout,
} from './fast-capnp/peer-layout.js';
import { peerMessageProblem } from './peer-rules.js';
import { WireEncodeError } from './wire-errors.js';
import { checkU32, checkU64Number } from './wire-numbers.js';

export type { PeerFrame };

export type DecodedPeerBatch = { ok: true; frames: PeerFrame[] } | { ok: false; error: string };

/**
 * Reads one batch. Byte fields of the result (entry and snapshot data) are
 * copies, independent of `bytes`.
 */
export function decodePeerBatch(bytes: Uint8Array, limits: PeerLimits): DecodedPeerBatch {
  if (bytes.length > limits.batchBytesMax) return refuse(`batch is ${bytes.length} bytes; the limit is ${limits.batchBytesMax}`);
  const reader = new MessageReader(bytes);
  const root = reader.root();
  const list = reader.structList(root, PeerBatchLayout.framesPtr, limits.batchMessagesMax);
  if (list instanceof ListTooLong) return refuse(`batch carries ${list.count} messages; the limit is ${limits.batchMessagesMax}`);
  if (reader.error !== null) return unreadable(reader.error);
  // Coalesced heartbeats count against the same limit: each expands into a message.
  const beatsMax = limits.batchMessagesMax - list.count;
  const beats = reader.structList(root, PeerBatchLayout.heartbeatsPtr, beatsMax);
  if (beats instanceof ListTooLong) {
    return refuse(`batch carries ${list.count + beats.count} messages (${beats.count} coalesced heartbeats); the limit is ${limits.batchMessagesMax}`);
  }
  if (reader.error !== null) return unreadable(reader.error);
  if (list.count + beats.count === 0) return refuse('batch carries no messages');
  const fields = new FieldReader(reader, limits);
  const frames = new Array<PeerFrame>(list.count + beats.count);
  for (let i = 0; i < list.count; i++) {
    const frame = reader.structElement(list, i);
    const group = reader.u32(frame, PeerFrameLayout.groupU32);
    const message = fields.message(reader.struct(frame, PeerFrameLayout.messagePtr));
    // The reader stops at its first problem, and so does FieldReader.
    if (reader.error !== null) return unreadable(reader.error);
    if (fields.problem !== null) return refuse(`message ${i} (group ${group}): ${fields.problem}`);
    const broken = peerMessageProblem(message, limits);
    if (broken !== null) return refuse(`message ${i} (group ${group}, ${message.type}): ${broken}`);
    frames[i] = { group, message };
  }
  for (let i = 0; i < beats.count; i++) {
    const beat = reader.structElement(beats, i);
    const group = reader.u32(beat, GroupHeartbeatLayout.groupU32);
    const message = fields.groupHeartbeat(beat);
    if (reader.error !== null) return unreadable(reader.error);
    if (fields.problem !== null) return refuse(`coalesced heartbeat ${i} (group ${group}): ${fields.problem}`);
    const broken = peerMessageProblem(message, limits);
    if (broken !== null) return refuse(`coalesced heartbeat ${i} (group ${group}, ${message.type}): ${broken}`);
    frames[list.count + i] = { group, message };
  }
  return { ok: true, frames };
}

/**
 * Travels as a coalesced GroupHeartbeat rather than a RaftMessage: a heartbeat
 * or its response that confirms no read-index round (context 0).
 */
export function isCoalescedHeartbeat(message: Message): boolean {
  return (message.type === 'heartbeat' || message.type === 'heartbeatResponse') && message.context === 0;
}

/** The order a batch of `frames` decodes in: the other frames, then the coalesced heartbeats (each in sent order). */
export function peerBatchOrder(frames: readonly PeerFrame[]): PeerFrame[] {
  return [...frames.filter((f) => !isCoalescedHeartbeat(f.message)), ...frames.filter((f) => isCoalescedHeartbeat(f.message))];
}

function refuse(reason: string): DecodedPeerBatch {
  return { ok: false, error: `peer batch refused: ${reason}` };
}

function unreadable(detail: string): DecodedPeerBatch {
  return refuse(`not a readable Cap'n Proto PeerBatch: ${detail}`);
}

/**
 * Reads a message's fields, recording the first one the schema carries but
 * the model cannot hold (an unknown tag, a number beyond 2^53 - 1, a list over
 * its limit). After a problem every read is a placeholder; the caller checks
 * `problem` (and the reader's error) before using the result.
 */
class FieldReader {
  problem: string | null = null;

  constructor(private readonly r: MessageReader, private readonly limits: PeerLimits) {}

  message(s: StructRef): Message {
    const r = this.r;
    const L = RaftMessageLayout;
    const from = r.u32(s, L.fromU32);
    const to = r.u32(s, L.toU32);
    const term = this.u64(s, L.termU64, 'term');
    const which = r.u16(s, L.whichU16);
    switch (which) {
      case RaftMessageTag.VOTE: {
        const V = VoteLayout;
        return {
          type: 'vote', from, to, term, preVote: r.bit(s, V.preVoteBit), transfer: r.bit(s, V.transferBit),
          lastIndex: this.u64(s, V.lastIndexU64, 'lastIndex'), lastTerm: this.u64(s, V.lastTermU64, 'lastTerm'),
        };
      }
      case RaftMessageTag.VOTE_RESPONSE:
        return { type: 'voteResponse', from, to, term, preVote: r.bit(s, VoteResponseLayout.preVoteBit), granted: r.bit(s, VoteResponseLayout.grantedBit) };
      case RaftMessageTag.APPEND: {
        const A = AppendLayout;
        return {
          type: 'append', from, to, term, prevIndex: this.u64(s, A.prevIndexU64, 'prevIndex'), prevTerm: this.u64(s, A.prevTermU64, 'prevTerm'),
          entries: this.entries(s), commit: this.u64(s, A.commitU64, 'commit'),
        };
      }
      case RaftMessageTag.APPEND_RESPONSE: {
        const A = AppendResponseLayout;
        return {
          type: 'appendResponse', from, to, term, rejected: r.bit(s, A.rejectedBit),
          index: this.u64(s, A.indexU64, 'index'), hintIndex: this.u64(s, A.hintIndexU64, 'hintIndex'),
        };
      }
      case RaftMessageTag.HEARTBEAT:
        return {
          type: 'heartbeat', from, to, term,
          commit: this.u64(s, HeartbeatLayout.commitU64, 'commit'), context: this.u64(s, HeartbeatLayout.contextU64, 'context'),
        };
      case RaftMessageTag.HEARTBEAT_RESPONSE:
        return { type: 'heartbeatResponse', from, to, term, context: this.u64(s, HeartbeatResponseLayout.contextU64, 'context') };
      case RaftMessageTag.SNAPSHOT: {
        const part = r.struct(s, SnapshotMemberLayout.snapshotPtr);
        const snapshot = this.snapshot(part);
        const size = this.u64(part, SnapshotLayout.sizeU64, 'snapshot size');
        // Size 0: a sender from before chunked snapshots, whose data is always the whole.
        return { type: 'snapshot', from, to, term, snapshot, offset: this.u64(part, SnapshotLayout.offsetU64, 'snapshot offset'), size: size === 0 ? snapshot.data.length : size };
      }
      case RaftMessageTag.SNAPSHOT_RESPONSE:
        return {
          type: 'snapshotResponse', from, to, term,
          index: this.u64(s, SnapshotResponseLayout.indexU64, 'index'), received: this.u64(s, SnapshotResponseLayout.receivedU64, 'received'),
        };
      case RaftMessageTag.TIMEOUT_NOW:
        return { type: 'timeoutNow', from, to, term };
      case RaftMessageTag.READ_INDEX:
        return { type: 'readIndex', from, to, term, context: this.u64(s, ReadIndexLayout.contextU64, 'context') };
      case RaftMessageTag.READ_INDEX_RESPONSE:
        return {
          type: 'readIndexResponse', from, to, term,
          context: this.u64(s, ReadIndexResponseLayout.contextU64, 'context'), index: this.u64(s, ReadIndexResponseLayout.indexU64, 'index'),
        };
      default:
        // A newer node's message type, or a corrupted tag.
        this.fail(`unknown message type (union tag ${which})`);
        return { type: 'timeoutNow', from, to, term };
    }
  }

  /** A coalesced heartbeat or response, expanded into the message its sender's Raft made (context 0). */
  groupHeartbeat(s: StructRef): Message {
    const r = this.r;
    const G = GroupHeartbeatLayout;
    const from = r.u32(s, G.fromU32);
    const to = r.u32(s, G.toU32);
    const term = this.u64(s, G.termU64, 'term');
    if (r.bit(s, G.responseBit)) return { type: 'heartbeatResponse', from, to, term, context: 0 };
    return { type: 'heartbeat', from, to, term, commit: this.u64(s, G.commitU64, 'commit'), context: 0 };
  }

  private entries(s: StructRef): Entry[] {
    const r = this.r;
    const list = r.structList(s, AppendLayout.entriesPtr, this.limits.appendEntriesMax);
    if (list instanceof ListTooLong) {
      this.fail(`append carries ${list.count} entries; the limit is ${this.limits.appendEntriesMax}`);
      return [];
    }
    const E = EntryLayout;
    const entries = new Array<Entry>(list.count);
    for (let i = 0; i < list.count; i++) {
      const e = r.structElement(list, i);
      const index = this.u64(e, E.indexU64, 'entry index');
      entries[i] = { index, term: this.u64(e, E.termU64, 'entry term'), kind: this.entryKind(r.u16(e, E.kindU16), index), data: r.data(e, E.dataPtr) };
      if (this.problem !== null || r.error !== null) return [];
    }
    return entries;
  }

  private entryKind(tag: number, index: number): EntryKind {
    if (tag === EntryKindTag.NORMAL) return 'normal';
    if (tag === EntryKindTag.CONF) return 'conf';
    this.fail(`entry ${index} has unknown kind (enum value ${tag})`);
    return 'normal';
  }

  private snapshot(s: StructRef): Snapshot {
    const r = this.r;
    const meta = r.struct(s, SnapshotLayout.metaPtr);
    const index = this.u64(meta, SnapshotMetaLayout.indexU64, 'snapshot index');
    const term = this.u64(meta, SnapshotMetaLayout.termU64, 'snapshot term');
    const membership = r.struct(meta, SnapshotMetaLayout.membershipPtr);
    const voters = this.replicaIds(membership, MembershipLayout.votersPtr, 'voters');
    const learners = this.replicaIds(membership, MembershipLayout.learnersPtr, 'learners');
    return { meta: { index, term, membership: { voters, learners } }, data: r.data(s, SnapshotLayout.dataPtr) };
  }

  private replicaIds(s: StructRef, pointerIndex: number, what: string): number[] {
    const list = this.r.u32List(s, pointerIndex, this.limits.membershipReplicasMax);
    if (list instanceof ListTooLong) {
      this.fail(`membership names ${list.count} ${what}; the limit is ${this.limits.membershipReplicasMax}`);
      return [];
    }
    const ids = new Array<number>(list.count);
    for (let i = 0; i < list.count; i++) ids[i] = this.r.u32Element(list, i);
    return ids;
  }

  /** A UInt64 field as a JS number; beyond 2^53 - 1 it is a problem (terms and indexes never get there). */
  private u64(s: StructRef, byteOffset: number, field: string): number {
    const value = this.r.u64Number(s, byteOffset);
    if (value !== null) return value;
    this.fail(`${field} is beyond 2^53-1`);
    return 0;
  }

  private fail(problem: string): void {
    this.problem ??= problem;
  }
}

/** Batches are built here one at a time; the buffer is reused (see MessageBuilder). */
const builder = new MessageBuilder();

/**
 * Encodes one batch (one transport write). Throws WireEncodeError for an
 * empty batch and for numbers the schema cannot carry (ids beyond 32 bits,
 * negative or fractional terms and indexes); messages that break other rules
 * of schema/peer-rules.ts are encoded as given (the receiver refuses them).
 */
export function encodePeerBatch(frames: readonly PeerFrame[]): Uint8Array {
  return encodePeerBatchInto(frames, undefined);
}

/**
 * encodePeerBatch, with the bytes cut from `slab` when small (a view into a
 * shared buffer: see core/byte-slab.ts). For a transport that only writes the
 * bytes out, one batch per replication message: decodePeerBatch copies what it keeps.
 */
export function encodePeerBatchInto(frames: readonly PeerFrame[], slab: ByteSlab | undefined): Uint8Array {
  if (frames.length === 0) throw new WireEncodeError('a peer batch carries at least one message');
  let beatCount = 0;
  for (let i = 0; i < frames.length; i++) if (isCoalescedHeartbeat(frames[i]!.message)) beatCount++;
  const frameCount = frames.length - beatCount;
  const b = builder;
  const B = PeerBatchLayout;
  const root = b.beginRoot(B.size);
  const F = PeerFrameLayout;
  // An empty list stays a null pointer (it reads back as empty), as capnp-ts leaves a list never initialized.
  const first = frameCount > 0 ? b.initStructList(b.pointer(root, B.size, B.framesPtr), frameCount, F.size) : 0;
  let f = 0;
  for (let i = 0; i < frames.length && f < frameCount; i++) {
    const { group, message } = frames[i]!;
    if (isCoalescedHeartbeat(message)) continue;
    const frame = b.structElement(first, F.size, f++);
    b.setU32(frame, F.groupU32, checkU32(group, 'group'));
    writeMessage(b.initStruct(b.pointer(frame, F.size, F.messagePtr), RaftMessageLayout.size), message);
  }
  if (beatCount > 0) writeGroupHeartbeats(b.pointer(root, B.size, B.heartbeatsPtr), frames, beatCount);
  return b.finish(slab);
}

function writeGroupHeartbeats(pointerOffset: number, frames: readonly PeerFrame[], count: number): void {
  const b = builder;
  const G = GroupHeartbeatLayout;
  const first = b.initStructList(pointerOffset, count, G.size);
  let n = 0;
  for (let i = 0; i < frames.length && n < count; i++) {
    const { group, message: m } = frames[i]!;
    if (!isCoalescedHeartbeat(m)) continue;
    const s = b.structElement(first, G.size, n++);
    b.setU32(s, G.groupU32, checkU32(group, 'group'));
    b.setU32(s, G.fromU32, checkU32(m.from, 'from'));
    b.setU32(s, G.toU32, checkU32(m.to, 'to'));
    setCount(s, G.termU64, m.term, 'term');
    if (m.type === 'heartbeat') setCount(s, G.commitU64, m.commit, 'commit');
    else b.setBit(s, G.responseBit);
  }
}

/** A safe non-negative integer into a UInt64 field. */
function setCount(s: number, byteOffset: number, value: number, field: string): void {
  builder.setInt64Number(s, byteOffset, checkU64Number(value, field));
}

/**
 * Objects are allocated in the same order as capnp-ts would for the same
 * calls (test/schema/peer-codec.test.ts compares the bytes).
 */
function writeMessage(s: number, m: Message): void {
  const b = builder;
  const L = RaftMessageLayout;
  b.setU32(s, L.fromU32, checkU32(m.from, 'from'));
  b.setU32(s, L.toU32, checkU32(m.to, 'to'));
  setCount(s, L.termU64, m.term, 'term');
  // The union tag, set directly in each case: a helper closure would be made on every message.
  switch (m.type) {
    case 'vote':
      b.setU16(s, L.whichU16, RaftMessageTag.VOTE);
      if (m.preVote) b.setBit(s, VoteLayout.preVoteBit);
      if (m.transfer) b.setBit(s, VoteLayout.transferBit);
      setCount(s, VoteLayout.lastIndexU64, m.lastIndex, 'lastIndex');
      setCount(s, VoteLayout.lastTermU64, m.lastTerm, 'lastTerm');
      break;
    case 'voteResponse':
      b.setU16(s, L.whichU16, RaftMessageTag.VOTE_RESPONSE);
      if (m.preVote) b.setBit(s, VoteResponseLayout.preVoteBit);
      if (m.granted) b.setBit(s, VoteResponseLayout.grantedBit);
      break;
    case 'append':
      b.setU16(s, L.whichU16, RaftMessageTag.APPEND);
      setCount(s, AppendLayout.prevIndexU64, m.prevIndex, 'prevIndex');
      setCount(s, AppendLayout.prevTermU64, m.prevTerm, 'prevTerm');
      writeEntries(b.pointer(s, L.size, AppendLayout.entriesPtr), m.entries);
      setCount(s, AppendLayout.commitU64, m.commit, 'commit');
      break;
    case 'appendResponse':
      b.setU16(s, L.whichU16, RaftMessageTag.APPEND_RESPONSE);
      if (m.rejected) b.setBit(s, AppendResponseLayout.rejectedBit);
      setCount(s, AppendResponseLayout.indexU64, m.index, 'index');
      setCount(s, AppendResponseLayout.hintIndexU64, m.hintIndex, 'hintIndex');
      break;
    case 'heartbeat':
      b.setU16(s, L.whichU16, RaftMessageTag.HEARTBEAT);
      setCount(s, HeartbeatLayout.commitU64, m.commit, 'commit');
      setCount(s, HeartbeatLayout.contextU64, m.context, 'context');
      break;
    case 'heartbeatResponse':
      b.setU16(s, L.whichU16, RaftMessageTag.HEARTBEAT_RESPONSE);
      setCount(s, HeartbeatResponseLayout.contextU64, m.context, 'context');
      break;
    case 'snapshot':
      b.setU16(s, L.whichU16, RaftMessageTag.SNAPSHOT);
      writeSnapshot(b.pointer(s, L.size, SnapshotMemberLayout.snapshotPtr), m.snapshot, m.offset, m.size);
      break;
    case 'snapshotResponse':
      b.setU16(s, L.whichU16, RaftMessageTag.SNAPSHOT_RESPONSE);
      setCount(s, SnapshotResponseLayout.indexU64, m.index, 'index');
      setCount(s, SnapshotResponseLayout.receivedU64, m.received, 'received');
      break;
    case 'timeoutNow':
      b.setU16(s, L.whichU16, RaftMessageTag.TIMEOUT_NOW);
      break;
    case 'readIndex':
      b.setU16(s, L.whichU16, RaftMessageTag.READ_INDEX);
      setCount(s, ReadIndexLayout.contextU64, m.context, 'context');
      break;
    case 'readIndexResponse':
      b.setU16(s, L.whichU16, RaftMessageTag.READ_INDEX_RESPONSE);
      setCount(s, ReadIndexResponseLayout.contextU64, m.context, 'context');
      setCount(s, ReadIndexResponseLayout.indexU64, m.index, 'index');
      break;
    default:
      unreachable(m, 'message type');
  }
}

function writeEntries(pointerOffset: number, entries: readonly Entry[]): void {
  if (entries.length === 0) return; // a null pointer reads back as no entries
  const b = builder;
  const E = EntryLayout;
  const first = b.initStructList(pointerOffset, entries.length, E.size);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const e = b.structElement(first, E.size, i);
    setCount(e, E.indexU64, entry.index, 'entry index');
    setCount(e, E.termU64, entry.term, 'entry term');
    if (entry.kind === 'conf') b.setU16(e, E.kindU16, EntryKindTag.CONF);
    b.setData(b.pointer(e, E.size, E.dataPtr), entry.data);
  }
}

function writeSnapshot(pointerOffset: number, snapshot: Snapshot, offset: number, size: number): void {
  const b = builder;
  const S = SnapshotLayout;
  const M = SnapshotMetaLayout;
  const s = b.initStruct(pointerOffset, S.size);
  const meta = b.initStruct(b.pointer(s, S.size, S.metaPtr), M.size);
  setCount(meta, M.indexU64, snapshot.meta.index, 'snapshot index');
  setCount(meta, M.termU64, snapshot.meta.term, 'snapshot term');
  const membership = b.initStruct(b.pointer(meta, M.size, M.membershipPtr), MembershipLayout.size);
  const { voters, learners } = snapshot.meta.membership;
  b.setU32List(b.pointer(membership, MembershipLayout.size, MembershipLayout.votersPtr), voters.map((id) => checkU32(id, 'voter')));
  b.setU32List(b.pointer(membership, MembershipLayout.size, MembershipLayout.learnersPtr), learners.map((id) => checkU32(id, 'learner')));
  b.setData(b.pointer(s, S.size, S.dataPtr), snapshot.data);
  setCount(s, S.offsetU64, offset, 'snapshot offset');
  setCount(s, S.sizeU64, size, 'snapshot size');
}
