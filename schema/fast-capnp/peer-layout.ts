// Where each field of schema/peer.capnp sits on the wire, as the Cap'n Proto
// compiler laid it out (read off schema/generated/peer.capnp.ts: the
// `_capnp.size` of each struct and the offsets its getters pass). Data fields
// are byte offsets into the data section (booleans: bit offsets), pointer
// fields are indexes into the pointer section.
//
// RaftMessage's per-type fields are groups: they live in RaftMessage's own
// sections, overlapping one another (only the union member named by whichU16
// is meaningful). The schema only ever grows, so these never change;
// test/schema/peer-codec.test.ts checks them against the generated code.

import type { StructSize } from './piccolo-layout.js';

export const PeerBatchLayout = { size: { dataWords: 0, pointers: 2 }, framesPtr: 0, heartbeatsPtr: 1 } as const;

/** One group's heartbeat or response, coalesced into the batch's `heartbeats` list. */
export const GroupHeartbeatLayout = {
  size: { dataWords: 4, pointers: 0 }, groupU32: 0, fromU32: 4, toU32: 8, responseBit: 96, termU64: 16, commitU64: 24,
} as const;

export const PeerFrameLayout = { size: { dataWords: 1, pointers: 1 }, groupU32: 0, messagePtr: 0 } as const;

const RAFT_MESSAGE_SIZE: StructSize = { dataWords: 6, pointers: 1 };

export const RaftMessageLayout = {
  size: RAFT_MESSAGE_SIZE,
  fromU32: 0,
  toU32: 4,
  termU64: 8,
  /** Which union member is set (RaftMessage_Which in the generated code). */
  whichU16: 18,
} as const;

/** Union tags of RaftMessage, in declaration order. */
export const RaftMessageTag = {
  VOTE: 0, VOTE_RESPONSE: 1, APPEND: 2, APPEND_RESPONSE: 3, HEARTBEAT: 4, HEARTBEAT_RESPONSE: 5,
  SNAPSHOT: 6, TIMEOUT_NOW: 7, READ_INDEX: 8, READ_INDEX_RESPONSE: 9, SNAPSHOT_RESPONSE: 10,
} as const;

// The groups, each at offsets within RaftMessage.

export const VoteLayout = { preVoteBit: 128, transferBit: 129, lastIndexU64: 24, lastTermU64: 32 } as const;

export const VoteResponseLayout = { preVoteBit: 128, grantedBit: 129 } as const;

export const AppendLayout = { prevIndexU64: 24, prevTermU64: 32, entriesPtr: 0, commitU64: 40 } as const;

export const AppendResponseLayout = { rejectedBit: 128, indexU64: 24, hintIndexU64: 32 } as const;

export const HeartbeatLayout = { commitU64: 24, contextU64: 32 } as const;

export const HeartbeatResponseLayout = { contextU64: 24 } as const;

/** The snapshot member is a struct of its own, behind RaftMessage's pointer 0. */
export const SnapshotMemberLayout = { snapshotPtr: 0 } as const;

export const ReadIndexLayout = { contextU64: 24 } as const;

export const ReadIndexResponseLayout = { contextU64: 24, indexU64: 32 } as const;

export const SnapshotResponseLayout = { indexU64: 24, receivedU64: 32 } as const;

export const EntryLayout = { size: { dataWords: 3, pointers: 1 }, indexU64: 0, termU64: 8, kindU16: 16, dataPtr: 0 } as const;

/** EntryKind enum values. */
export const EntryKindTag = { NORMAL: 0, CONF: 1 } as const;

/** `offset` and `size` came later (chunked snapshots): a snapshot from an older sender has no data section, and reads them as 0. */
export const SnapshotLayout = { size: { dataWords: 2, pointers: 2 }, metaPtr: 0, dataPtr: 1, offsetU64: 0, sizeU64: 8 } as const;

export const SnapshotMetaLayout = { size: { dataWords: 2, pointers: 1 }, indexU64: 0, termU64: 8, membershipPtr: 0 } as const;

export const MembershipLayout = { size: { dataWords: 0, pointers: 2 }, votersPtr: 0, learnersPtr: 1 } as const;
