// The peer codec (schema/peer-codec.ts): round trips of every Raft message
// type, differential tests against capnp-ts and the generated code, fuzzing
// with garbage, truncations and bit flips, and one refusal per limit and rule.

import * as capnp from 'capnp-ts';
import { MultiSegmentArena } from 'capnp-ts/src/serialization/arena/multi-segment-arena.js';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { DEFAULT_PEER_LIMITS, type PeerLimits } from '../../core/limits.js';
import type { Entry, Message } from '../../core/raft/raft-types.js';
import * as layout from '../../schema/fast-capnp/peer-layout.js';
import type { StructSize } from '../../schema/fast-capnp/piccolo-layout.js';
import * as wire from '../../schema/generated/peer.capnp.js';
import { decodePeerBatch, encodePeerBatch, peerBatchOrder, type DecodedPeerBatch, type PeerFrame } from '../../schema/peer-codec.js';
import { peerMessageProblem } from '../../schema/peer-rules.js';
import { WireEncodeError } from '../../schema/wire-errors.js';
import { RaftCluster } from '../core/raft/raft-cluster.js';
import { runFaultSeed } from '../core/raft/raft-faults.js';
import { arbBatch, arbMessageOf } from './peer-arbitraries.js';
import { decodePeerBatchReference, encodePeerBatchReference, writePeerBatch } from './peer-reference.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const decode = (bytes: Uint8Array, limits: PeerLimits = DEFAULT_PEER_LIMITS): DecodedPeerBatch => decodePeerBatch(bytes, limits);
const one = (message: Message, group = 1): PeerFrame[] => [{ group, message }];

/** Where the first message's RaftMessage struct starts in a one-message batch: header, root pointer, PeerBatch (2 pointers), list tag, PeerFrame. */
const MESSAGE_OFFSET = 8 + 8 + 16 + 8 + 16;
/** Where the first coalesced heartbeat starts in a batch of only those: header, root pointer, PeerBatch, list tag. */
const BEAT_OFFSET = 8 + 8 + 16 + 8;
/** Where the first entry of the first message starts, when it is an append: after RaftMessage (6 data words, 1 pointer) and the list tag. */
const FIRST_ENTRY_OFFSET = MESSAGE_OFFSET + 56 + 8;

function patchU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(offset, value, true);
  return copy;
}

function expectRefused(result: DecodedPeerBatch, pattern: RegExp): void {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (!result.ok) expect(result.error).toMatch(pattern);
}

/** Every number anywhere in `value`, with its path. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  return Object.entries(value).flatMap(([key, inner]) => numbersIn(inner, `${path}.${key}`));
}

/**
 * The main rules, checked independently of schema/peer-rules.ts: ids are
 * non-zero, every number is a safe non-negative integer, entries follow
 * prevIndex without gaps at terms 1..term, a snapshot has a voter and no
 * replica twice.
 */
function expectKeepsMainRules(m: Message): void {
  expect(m.from).not.toBe(0);
  expect(m.to).not.toBe(0);
  expect(m.from).not.toBe(m.to);
  for (const [path, n] of numbersIn(m)) expect(Number.isSafeInteger(n) && n >= 0, path).toBe(true);
  if (m.type === 'append') {
    m.entries.forEach((e, i) => {
      expect(e.index).toBe(m.prevIndex + 1 + i);
      expect(e.term >= 1 && e.term <= m.term).toBe(true);
      expect(['normal', 'conf']).toContain(e.kind);
      expect(e.data).toBeInstanceOf(Uint8Array);
    });
  }
  if (m.type === 'snapshot') {
    const { voters, learners } = m.snapshot.meta.membership;
    expect(voters.length).toBeGreaterThan(0);
    expect(new Set([...voters, ...learners]).size).toBe(voters.length + learners.length);
    expect([...voters, ...learners]).not.toContain(0);
  }
}

/**
 * What an accepted batch must be, whatever bytes it came from: at least one
 * message, groups 32-bit, each message of a known type that keeps the rules,
 * and encoding it again gives it back.
 */
function expectWellFormed(frames: PeerFrame[]): void {
  expect(frames.length).toBeGreaterThan(0);
  for (const { group, message } of frames) {
    expect(Number.isInteger(group) && group >= 0 && group <= 0xffff_ffff).toBe(true);
    expect(Object.keys(arbMessageOf)).toContain(message.type);
    expectKeepsMainRules(message);
    expect(peerMessageProblem(message, DEFAULT_PEER_LIMITS)).toBeNull();
  }
  expect(decode(encodePeerBatch(frames))).toStrictEqual({ ok: true, frames: peerBatchOrder(frames) });
}

describe('the layout constants', () => {
  test('match the generated code\'s struct sizes, union tags and enum values', () => {
    const sizeOf = (s: { _capnp: { size: { dataByteLength: number; pointerLength: number } } }): StructSize => (
      { dataWords: s._capnp.size.dataByteLength / 8, pointers: s._capnp.size.pointerLength });
    const pairs: [StructSize, StructSize][] = [
      [layout.PeerBatchLayout.size, sizeOf(wire.PeerBatch)],
      [layout.PeerFrameLayout.size, sizeOf(wire.PeerFrame)],
      [layout.GroupHeartbeatLayout.size, sizeOf(wire.GroupHeartbeat)],
      [layout.RaftMessageLayout.size, sizeOf(wire.RaftMessage)],
      [layout.EntryLayout.size, sizeOf(wire.Entry)],
      [layout.SnapshotLayout.size, sizeOf(wire.Snapshot)],
      [layout.SnapshotMetaLayout.size, sizeOf(wire.SnapshotMeta)],
      [layout.MembershipLayout.size, sizeOf(wire.Membership)],
    ];
    for (const [ours, generated] of pairs) expect(ours).toEqual(generated);
    const tags = Object.fromEntries(Object.entries(wire.RaftMessage_Which).filter(([, v]) => typeof v === 'number'));
    expect(layout.RaftMessageTag).toEqual(tags);
    expect(layout.EntryKindTag).toEqual({ NORMAL: wire.EntryKind.NORMAL, CONF: wire.EntryKind.CONF });
  });

  test('the hand-patched offsets below point where the fields are', () => {
    const bytes = encodePeerBatch(one({ type: 'append', from: 7, to: 8, term: 3, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 2, kind: 'normal', data: new Uint8Array(0) }] }));
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(MESSAGE_OFFSET + layout.RaftMessageLayout.fromU32, true)).toBe(7);
    expect(view.getUint32(FIRST_ENTRY_OFFSET + layout.EntryLayout.termU64, true)).toBe(2);
  });
});

describe('round trips', () => {
  test.each(Object.entries(arbMessageOf))('%s: decode(encode(m)) is m', (_type, arb) => {
    fc.assert(fc.property(fc.nat({ max: 0xffff_ffff }), arb, (group, message) => {
      expect(decode(encodePeerBatch(one(message, group)))).toStrictEqual({ ok: true, frames: one(message, group) });
    }), { numRuns: 150 });
  });

  test('batches of mixed messages (coalesced heartbeats decode after the other frames)', () => {
    fc.assert(fc.property(arbBatch, (frames) => {
      expect(decode(encodePeerBatch(frames))).toStrictEqual({ ok: true, frames: peerBatchOrder(frames) });
    }), { numRuns: 300 });
  });

  test('a batch of many heartbeats, as the transport sends them per node pair', () => {
    const frames = Array.from({ length: 5000 }, (_, group): PeerFrame => ({
      group, message: { type: 'heartbeat', from: 1, to: 2, term: 4, commit: group, context: 9 },
    }));
    expect(decode(encodePeerBatch(frames))).toStrictEqual({ ok: true, frames });
  });

  test('decoded data is a copy, independent of the frame', () => {
    const message: Message = { type: 'append', from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 1, kind: 'normal', data: Uint8Array.of(1, 2, 3) }] };
    const bytes = encodePeerBatch(one(message));
    const decoded = decode(bytes);
    bytes.fill(0);
    expect(decoded).toStrictEqual({ ok: true, frames: one(message) });
  });
});

describe('against capnp-ts and the generated code', () => {
  test('the same bytes as capnp-ts, and each side reads the other\'s', () => {
    fc.assert(fc.property(arbBatch, (frames) => {
      const ours = encodePeerBatch(frames);
      const theirs = encodePeerBatchReference(frames);
      expect(hex(ours)).toBe(hex(theirs));
      expect(decodePeerBatchReference(ours)).toStrictEqual(peerBatchOrder(frames));
      expect(decode(theirs)).toStrictEqual({ ok: true, frames: peerBatchOrder(frames) });
    }), { numRuns: 300 });
  });

  test('multi-segment batches from capnp-ts (far pointers) decode', () => {
    fc.assert(fc.property(arbBatch, (frames) => {
      const message = new capnp.Message(new MultiSegmentArena([new ArrayBuffer(8)]));
      writePeerBatch(message, frames);
      const bytes = new Uint8Array(message.toArrayBuffer());
      expect(new DataView(bytes.buffer).getUint32(0, true)).toBeGreaterThan(0); // more than one segment
      expect(decode(bytes)).toStrictEqual({ ok: true, frames: peerBatchOrder(frames) });
    }), { numRuns: 100 });
  });
});

describe('every message core/raft sends crosses the wire, and the group still works on the decoded copies', () => {
  /**
   * Runs `body` with every delivery in RaftCluster going through
   * encode -> decode (the test cluster's network carrying peer bytes);
   * returns how many messages of each type crossed.
   */
  function overTheWire(body: () => void): Map<string, number> {
    const crossed = new Map<string, number>();
    const deliver = RaftCluster.prototype.deliver;
    const spy = vi.spyOn(RaftCluster.prototype, 'deliver').mockImplementation(function (this: RaftCluster, i: number) {
      const message = this.inFlight[i];
      if (message) {
        const decoded = decode(encodePeerBatch(one(message, 3)));
        if (!decoded.ok) throw new Error(`${decoded.error} for ${JSON.stringify(message)}`);
        expect(decoded.frames).toStrictEqual(one(message, 3));
        this.inFlight[i] = decoded.frames[0]!.message;
        const kind = message.type === 'append' && message.entries.some((e) => e.kind === 'conf') ? 'append with a conf entry' : message.type;
        crossed.set(kind, (crossed.get(kind) ?? 0) + 1);
      }
      deliver.call(this, i);
    });
    try {
      body();
    } finally {
      spy.mockRestore();
    }
    return crossed;
  }

  test('fault runs: drops, duplicates, partitions, crashes, snapshots, reads', () => {
    const crossed = overTheWire(() => {
      for (let seed = 1; seed <= 12; seed++) {
        const result = runFaultSeed({ seed, snapshotEvery: 8 });
        if (!result.ok) throw new Error(`seed ${seed}: ${result.error}`);
      }
    });
    for (const type of ['vote', 'voteResponse', 'append', 'appendResponse', 'heartbeat', 'heartbeatResponse', 'snapshot', 'readIndexResponse']) {
      expect(crossed.get(type), type).toBeGreaterThan(0);
    }
  });

  test('leadership transfer and membership changes (conf entries, learners)', () => {
    const crossed = overTheWire(() => {
      const c = new RaftCluster({ seed: 11, voters: 3, spares: 1 });
      const lead = c.settle();
      expect(c.proposeConfChange(lead, { kind: 'addLearner', replica: 4 })).toBe(true);
      for (let t = 0; t < 5; t++) { c.tickAll(); c.deliverAll(); }
      const follower = [1, 2, 3].find((id) => id !== lead)!;
      c.readIndex(follower, 7);
      c.deliverAll();
      expect(c.node(lead).transferLeadership(follower)).toBe(true);
      c.process(lead);
      c.deliverAll();
      expect(c.leader()).toBe(follower);
      expect(c.node(follower).status().membership.learners).toEqual([4]);
    });
    expect(crossed.get('timeoutNow')).toBeGreaterThan(0);
    expect(crossed.get('readIndex')).toBeGreaterThan(0);
    expect(crossed.get('append with a conf entry')).toBeGreaterThan(0);
  });
});

describe('hostile input never throws and never yields a message that breaks the rules', () => {
  const check = (bytes: Uint8Array): void => {
    const result = decode(bytes);
    if (result.ok) expectWellFormed(result.frames);
    else expect(result.error).toMatch(/^peer batch refused: /);
  };

  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), check), { numRuns: 2000 });
  });

  test('truncated batches', () => {
    fc.assert(fc.property(arbBatch, fc.nat(), (frames, cut) => {
      const bytes = encodePeerBatch(frames);
      check(bytes.subarray(0, cut % bytes.length));
    }), { numRuns: 500 });
  });

  test('bit flips', () => {
    fc.assert(fc.property(arbBatch, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (frames, flips) => {
      const bytes = encodePeerBatch(frames);
      for (const flip of flips) {
        const bit = flip % (bytes.length * 8);
        bytes[bit >>> 3]! ^= 1 << (bit & 7);
      }
      check(bytes);
    }), { numRuns: 2000 });
  });

  test('overwritten words (pointers and sizes turned to garbage)', () => {
    fc.assert(fc.property(arbBatch, fc.nat(), fc.uint32Array({ minLength: 2, maxLength: 2 }), (frames, at, word) => {
      const bytes = encodePeerBatch(frames);
      const offset = 8 * (at % (bytes.length / 8));
      const view = new DataView(bytes.buffer);
      view.setUint32(offset, word[0]!, true);
      view.setUint32(offset + 4, word[1]!, true);
      check(bytes);
    }), { numRuns: 2000 });
  });
});

/** Confirms a read round (context 1), so it travels as a RaftMessage; `beat` (context 0) travels coalesced. */
const heartbeat: Message = { type: 'heartbeat', from: 1, to: 2, term: 3, commit: 0, context: 1 };
const beat: Message = { ...heartbeat, context: 0 };
const entry = (index: number, term: number): Entry => ({ index, term, kind: 'normal', data: new Uint8Array(0) });
const append = (prevIndex: number, prevTerm: number, entries: Entry[], term = 5): Message => (
  { type: 'append', from: 1, to: 2, term, prevIndex, prevTerm, entries, commit: 0 });
const snapshotMessage = (index: number, term: number, voters: number[], learners: number[] = [], data = new Uint8Array(0)): Message => (
  { type: 'snapshot', from: 1, to: 2, term: 5, snapshot: { meta: { index, term, membership: { voters, learners } }, data }, offset: 0, size: data.length });

describe('limits: each refuses with a clear error', () => {
  const limits = (overrides: Partial<PeerLimits>): PeerLimits => ({ ...DEFAULT_PEER_LIMITS, ...overrides });

  test('batch bytes, before reading anything', () => {
    const bytes = encodePeerBatch(one(heartbeat));
    expect(decode(bytes, limits({ batchBytesMax: bytes.length })).ok).toBe(true);
    expectRefused(decode(bytes, limits({ batchBytesMax: bytes.length - 1 })), /batch is \d+ bytes; the limit is \d+/);
  });

  test('messages per batch', () => {
    const bytes = encodePeerBatch([...one(heartbeat), ...one(heartbeat), ...one(heartbeat)]);
    expect(decode(bytes, limits({ batchMessagesMax: 3 })).ok).toBe(true);
    expectRefused(decode(bytes, limits({ batchMessagesMax: 2 })), /batch carries 3 messages; the limit is 2/);
  });

  test('entries per append', () => {
    const bytes = encodePeerBatch(one(append(0, 0, [entry(1, 1), entry(2, 1), entry(3, 2)])));
    expect(decode(bytes, limits({ appendEntriesMax: 3 })).ok).toBe(true);
    expectRefused(decode(bytes, limits({ appendEntriesMax: 2 })), /append carries 3 entries; the limit is 2/);
  });

  test('snapshot bytes', () => {
    const bytes = encodePeerBatch(one(snapshotMessage(4, 2, [1, 2, 3], [], new Uint8Array(5))));
    expect(decode(bytes, limits({ snapshotBytesMax: 5 })).ok).toBe(true);
    expectRefused(decode(bytes, limits({ snapshotBytesMax: 4 })), /snapshot data is 5 bytes; the limit is 4/);
  });

  test('replicas in a membership, per list and in all', () => {
    const three = encodePeerBatch(one(snapshotMessage(4, 2, [1, 2, 3])));
    expect(decode(three, limits({ membershipReplicasMax: 3 })).ok).toBe(true);
    expectRefused(decode(three, limits({ membershipReplicasMax: 2 })), /membership names 3 voters; the limit is 2/);
    const mixed = encodePeerBatch(one(snapshotMessage(4, 2, [1, 2], [3])));
    expectRefused(decode(mixed, limits({ membershipReplicasMax: 2 })), /membership names 3 replicas; the limit is 2/);
  });

  test('numbers beyond 2^53 - 1', () => {
    const bytes = encodePeerBatch(one(heartbeat));
    const termHigh = MESSAGE_OFFSET + layout.RaftMessageLayout.termU64 + 4;
    expect(decode(patchU32(bytes, termHigh, 0x1f_ffff)).ok).toBe(true); // 2^53 - 2^32 + 3: still safe
    expectRefused(decode(patchU32(bytes, termHigh, 0x20_0000)), /message 0 \(group 1\): term is beyond 2\^53-1/);
    const withEntry = encodePeerBatch(one(append(0, 0, [entry(1, 1)])));
    expectRefused(decode(patchU32(withEntry, FIRST_ENTRY_OFFSET + layout.EntryLayout.indexU64 + 4, 0xffff_ffff)), /entry index is beyond 2\^53-1/);
  });
});

describe('rules: each refuses with a clear error', () => {
  test('unknown union tags and enum values', () => {
    const bytes = encodePeerBatch(one(heartbeat));
    const which = MESSAGE_OFFSET + layout.RaftMessageLayout.whichU16;
    expectRefused(decode(patchU32(bytes, which - 2, 11 << 16)), /unknown message type \(union tag 11\)/);
    const withEntry = encodePeerBatch(one(append(0, 0, [entry(1, 1)])));
    expectRefused(decode(patchU32(withEntry, FIRST_ENTRY_OFFSET + layout.EntryLayout.kindU16, 2)), /entry 1 has unknown kind \(enum value 2\)/);
  });

  test('replica ids', () => {
    expectRefused(decode(encodePeerBatch(one({ ...heartbeat, from: 0 }))), /from 0 is not a replica id/);
    expectRefused(decode(encodePeerBatch(one({ ...heartbeat, to: 0 }))), /to 0 is not a replica id/);
    expectRefused(decode(encodePeerBatch(one({ ...heartbeat, to: 1 }))), /a message from replica 1 to itself/);
    expectRefused(decode(encodePeerBatch(one(snapshotMessage(4, 2, [1, 0])))), /membership names 0, not a replica id/);
  });

  test('log positions: term 0 exactly at index 0, never above the message term', () => {
    const vote = (lastIndex: number, lastTerm: number): Message => ({ type: 'vote', from: 1, to: 2, term: 5, preVote: false, transfer: false, lastIndex, lastTerm });
    expect(decode(encodePeerBatch(one(vote(0, 0)))).ok).toBe(true);
    expectRefused(decode(encodePeerBatch(one(vote(0, 1)))), /lastIndex 0 with lastTerm 1: only index 0 has term 0/);
    expectRefused(decode(encodePeerBatch(one(vote(3, 0)))), /lastIndex 3 with lastTerm 0/);
    expectRefused(decode(encodePeerBatch(one(vote(3, 6)))), /lastTerm 6 is above the message's term 5/);
    expectRefused(decode(encodePeerBatch(one(append(3, 0, [])))), /prevIndex 3 with prevTerm 0/);
  });

  test('append entries: contiguous after prevIndex, terms from 1, never falling, never above the message term', () => {
    expect(decode(encodePeerBatch(one(append(3, 2, [entry(4, 2), entry(5, 4)])))).ok).toBe(true);
    expectRefused(decode(encodePeerBatch(one(append(3, 2, [entry(5, 2)])))), /entry 0 has index 5, not 4/);
    expectRefused(decode(encodePeerBatch(one(append(3, 2, [entry(4, 2), entry(6, 2)])))), /entry 1 has index 6, not 5/);
    expectRefused(decode(encodePeerBatch(one(append(0, 0, [entry(1, 0)])))), /entry 1 has term 0; entry terms start at 1/);
    expectRefused(decode(encodePeerBatch(one(append(3, 3, [entry(4, 2)])))), /entry 4 has term 2, below the term 3 before it/);
    expectRefused(decode(encodePeerBatch(one(append(3, 2, [entry(4, 3), entry(5, 2)])))), /entry 5 has term 2, below/);
    expectRefused(decode(encodePeerBatch(one(append(3, 2, [entry(4, 6)])))), /entry 4 has term 6, above the message's term 5/);
  });

  test('snapshots: index and term from 1, at least one voter, no replica twice', () => {
    expect(decode(encodePeerBatch(one(snapshotMessage(4, 2, [1], [2])))).ok).toBe(true);
    expectRefused(decode(encodePeerBatch(one(snapshotMessage(0, 0, [1])))), /snapshot at index 0, term 0/);
    expectRefused(decode(encodePeerBatch(one(snapshotMessage(4, 6, [1])))), /snapshot term 6 is above the message's term 5/);
    expectRefused(decode(encodePeerBatch(one(snapshotMessage(4, 2, [], [2])))), /membership has no voters/);
    expectRefused(decode(encodePeerBatch(one(snapshotMessage(4, 2, [1, 2], [2])))), /membership names replica 2 twice/);
  });

  test('snapshot chunks: within their snapshot, no larger than the snapshot limit', () => {
    const chunk = (offset: number, size: number, data = new Uint8Array(10)): Message => ({ ...snapshotMessage(4, 2, [1]), snapshot: { meta: { index: 4, term: 2, membership: { voters: [1], learners: [] } }, data }, offset, size } as Message);
    expect(decode(encodePeerBatch(one(chunk(90, 100))))).toStrictEqual({ ok: true, frames: one(chunk(90, 100)) });
    expectRefused(decode(encodePeerBatch(one(chunk(91, 100)))), /snapshot chunk at 91 of 10 bytes runs past the snapshot's 100 bytes/);
    const limits = { ...DEFAULT_PEER_LIMITS, snapshotBytesMax: 1000 };
    expect(decode(encodePeerBatch(one(chunk(0, 1000))), limits).ok).toBe(true);
    expectRefused(decode(encodePeerBatch(one(chunk(0, 1001))), limits), /snapshot is 1001 bytes; the limit is 1000/);
  });

  test('a snapshot from a sender before chunks (no offset or size) reads as the whole', () => {
    const whole = snapshotMessage(4, 2, [1], [], new Uint8Array([1, 2, 3]));
    const bytes = encodePeerBatch(one(whole));
    // Zero the size field, as an older sender's empty data section reads.
    const sizeField = MESSAGE_OFFSET + 56 + layout.SnapshotLayout.sizeU64;
    expect(new DataView(bytes.buffer).getUint32(sizeField, true)).toBe(3);
    expect(decode(patchU32(bytes, sizeField, 0))).toStrictEqual({ ok: true, frames: one(whole) });
  });

  test('one bad message refuses the whole batch, naming it', () => {
    const bytes = encodePeerBatch([...one(heartbeat, 4), ...one({ ...heartbeat, from: 0 }, 7)]);
    expectRefused(decode(bytes), /^peer batch refused: message 1 \(group 7, heartbeat\): from 0/);
  });

  test('a membership list of the wrong element size is unreadable', () => {
    const bytes = encodePeerBatch(one(snapshotMessage(4, 2, [1, 2])));
    // After RaftMessage: Snapshot (2 words, 2 pointers), SnapshotMeta (2 words, 1 pointer), then Membership, whose first pointer is voters.
    const votersPointer = MESSAGE_OFFSET + 56 + 32 + 24;
    const high = new DataView(bytes.buffer).getUint32(votersPointer + 4, true);
    expect(high).toBe(4 + 2 * 8); // FOUR_BYTES, 2 elements
    expectRefused(decode(patchU32(bytes, votersPointer + 4, 2 + 8 * 8)), /not a readable Cap'n Proto PeerBatch: expected a list of 32-bit numbers/);
  });

  test('empty and unreadable batches', () => {
    const nullRoot = new Uint8Array(16);
    nullRoot[4] = 1; // one segment of one word: a null root pointer
    expectRefused(decode(nullRoot), /batch carries no messages/);
    expectRefused(decode(Uint8Array.of(1, 2, 3)), /not a readable Cap'n Proto PeerBatch: frame of 3 bytes/);
  });
});

test('peerMessageProblem also refuses numbers no decoder produces (for senders that check before encoding)', () => {
  expect(peerMessageProblem(heartbeat, DEFAULT_PEER_LIMITS)).toBeNull();
  expect(peerMessageProblem({ ...heartbeat, term: -1 }, DEFAULT_PEER_LIMITS)).toMatch(/term -1 is not a non-negative safe integer/);
  expect(peerMessageProblem({ ...heartbeat, commit: 1.5 }, DEFAULT_PEER_LIMITS)).toMatch(/commit 1.5 is not/);
  expect(peerMessageProblem({ ...heartbeat, context: Number.NaN }, DEFAULT_PEER_LIMITS)).toMatch(/context NaN is not/);
  expect(peerMessageProblem({ ...heartbeat, from: 2 ** 32 }, DEFAULT_PEER_LIMITS)).toMatch(/from 4294967296 is not a replica id/);
  expect(peerMessageProblem(append(2 ** 53, 1, []), DEFAULT_PEER_LIMITS)).toMatch(/prevIndex 9007199254740992 is not/);
});

describe('coalesced heartbeats (GroupHeartbeat)', () => {
  const response: Message = { type: 'heartbeatResponse', from: 2, to: 1, term: 3, context: 0 };

  test('heartbeats and responses without a context travel as 32-byte entries, not RaftMessages', () => {
    const frames = Array.from({ length: 100 }, (_, group): PeerFrame => ({ group, message: { ...beat, commit: group } }));
    const bytes = encodePeerBatch(frames);
    // header, root pointer, PeerBatch, list tag, 100 entries of 4 words: O(1) framing, 32 bytes per group.
    expect(bytes.length).toBe(BEAT_OFFSET + 100 * 32);
    expect(decode(bytes)).toStrictEqual({ ok: true, frames });
    const uncoalesced = encodePeerBatch(frames.map((f) => ({ ...f, message: { ...f.message, context: 1 } })));
    expect(uncoalesced.length).toBeGreaterThan(2 * bytes.length);
  });

  test('a read round\'s heartbeat (context > 0) and its response stay RaftMessages, context kept', () => {
    const frames: PeerFrame[] = [one(beat, 1)[0]!, one(heartbeat, 2)[0]!, one({ ...response, context: 7 }, 3)[0]!, one(response, 4)[0]!];
    const decoded = decode(encodePeerBatch(frames));
    expect(decoded).toStrictEqual({ ok: true, frames: [frames[1], frames[2], frames[0], frames[3]] });
  });

  test('they count against the messages-per-batch limit', () => {
    const limits = { ...DEFAULT_PEER_LIMITS, batchMessagesMax: 3 };
    const bytes = encodePeerBatch([...one(heartbeat), ...one(beat), ...one(response)]);
    expect(decode(bytes, limits).ok).toBe(true);
    expectRefused(decode(bytes, { ...limits, batchMessagesMax: 2 }), /batch carries 3 messages \(2 coalesced heartbeats\); the limit is 2/);
  });

  test('their numbers and ids keep the same rules as any message', () => {
    const bytes = encodePeerBatch(one(beat));
    expect(decode(patchU32(bytes, BEAT_OFFSET + layout.GroupHeartbeatLayout.termU64 + 4, 0x1f_ffff)).ok).toBe(true);
    expectRefused(decode(patchU32(bytes, BEAT_OFFSET + layout.GroupHeartbeatLayout.termU64 + 4, 0x20_0000)),
      /coalesced heartbeat 0 \(group 1\): term is beyond 2\^53-1/);
    expectRefused(decode(patchU32(bytes, BEAT_OFFSET + layout.GroupHeartbeatLayout.commitU64 + 4, 0xffff_ffff)), /commit is beyond 2\^53-1/);
    expectRefused(decode(encodePeerBatch(one({ ...beat, from: 0 }))), /coalesced heartbeat 0 \(group 1, heartbeat\): from 0 is not a replica id/);
    expectRefused(decode(encodePeerBatch(one({ ...response, to: 2 }))), /a message from replica 2 to itself/);
  });

  test('a batch with neither frames nor heartbeats is refused', () => {
    expectRefused(decode(encodePeerBatch(one(beat)).slice(0, 8 + 8 + 16)), /./);
    const empty = Uint8Array.of(0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expectRefused(decode(empty), /batch carries no messages/);
  });
});

describe('the encoder', () => {
  test('throws WireEncodeError for what the schema cannot carry', () => {
    expect(() => encodePeerBatch([])).toThrow(WireEncodeError);
    expect(() => encodePeerBatch(one({ ...heartbeat, from: 2 ** 32 }))).toThrow(/from must be an integer from 0 to 4294967295/);
    expect(() => encodePeerBatch(one({ ...heartbeat, term: -1 }))).toThrow(/term must be a non-negative integer/);
    expect(() => encodePeerBatch(one({ ...heartbeat, commit: 1.5 }))).toThrow(WireEncodeError);
    expect(() => encodePeerBatch(one(heartbeat, -1))).toThrow(/group must be an integer/);
    expect(() => encodePeerBatch(one(snapshotMessage(4, 2, [2 ** 40])))).toThrow(/voter must be an integer/);
    // The builder recovers: the next batch is whole.
    expect(decode(encodePeerBatch(one(heartbeat)))).toStrictEqual({ ok: true, frames: one(heartbeat) });
  });
});

// A rough cost, printed for the record (not a benchmark, not asserted): one
// append of 16 entries of 100 bytes, and one heartbeat, each alone in a batch.
test('cost of encode + decode (printed)', () => {
  const entries = Array.from({ length: 16 }, (_, i): Entry => ({ index: 101 + i, term: 3, kind: 'normal', data: new Uint8Array(100).fill(i) }));
  const cases: [string, PeerFrame[], number][] = [
    ['append of 16 x 100 B', one(append(100, 3, entries)), 20_000],
    ['heartbeat', one(heartbeat), 100_000],
    ['batch of 256 heartbeats', Array.from({ length: 256 }, (_, group) => ({ group, message: heartbeat })), 1_000],
  ];
  for (const [name, frames, iterations] of cases) {
    for (let i = 0; i < iterations / 10; i++) decode(encodePeerBatch(frames)); // warm up
    let start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) encodePeerBatch(frames);
    const encodeNs = Number(process.hrtime.bigint() - start) / iterations;
    const bytes = encodePeerBatch(frames);
    start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) decode(bytes);
    const decodeNs = Number(process.hrtime.bigint() - start) / iterations;
    console.log(`peer codec, ${name} (${bytes.length} bytes): encode ${encodeNs.toFixed(0)} ns, decode ${decodeNs.toFixed(0)} ns, total ${(encodeNs + decodeNs).toFixed(0)} ns`);
    expect(decode(bytes)).toStrictEqual({ ok: true, frames });
  }
});
