// fast-check arbitraries for Raft peer messages (core/raft/raft-types.ts),
// one per Message variant. Every message keeps the rules of
// schema/peer-rules.ts under DEFAULT_PEER_LIMITS, so any codec must give it
// back exactly: decode(encode(m)) deep-equals m. Objects are built plain
// (fc.record makes null-prototype objects, which toStrictEqual tells apart).

import fc from 'fast-check';
import type { Entry, Message, Snapshot } from '../../core/raft/raft-types.js';
import type { PeerFrame } from '../../schema/peer-codec.js';

const U32_MAX = 0xffff_ffff;

/** Replica ids: small ones (as real groups use) and the whole 32-bit range. */
export const arbReplicaId: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: U32_MAX }));
/** Terms, indexes, commits, contexts: small and up to 2^53 - 1. */
const arbCount: fc.Arbitrary<number> = fc.oneof(fc.nat({ max: 100 }), fc.maxSafeNat());
const arbPositive: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
/** Read-index contexts of heartbeats: 0 (no round) as often as not. */
const arbContext: fc.Arbitrary<number> = fc.oneof(fc.constant(0), arbCount);
const arbData: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 48 });

const arbEnds = fc.tuple(arbReplicaId, arbReplicaId).filter(([from, to]) => from !== to);

/** A term no smaller than 1 and no larger than `max`. */
function arbTermUpTo(max: number): fc.Arbitrary<number> {
  return fc.oneof(fc.integer({ min: 1, max: Math.min(max, 5) }), fc.integer({ min: 1, max }));
}

/** A log position under a message of term `term`: 0/0, or an index >= 1 at a term 1..term. */
function arbLogPosition(term: number): fc.Arbitrary<{ index: number; term: number }> {
  if (term === 0) return fc.constant({ index: 0, term: 0 });
  return fc.oneof(fc.constant({ index: 0, term: 0 }), fc.tuple(arbPositive, arbTermUpTo(term)).map(([index, t]) => ({ index, term: t })));
}

/** Entries after (prevIndex, prevTerm): contiguous indexes, terms rising from prevTerm (at least 1) to at most `term`. */
function arbEntries(prevIndex: number, prevTerm: number, term: number): fc.Arbitrary<Entry[]> {
  const countMax = Math.min(6, Number.MAX_SAFE_INTEGER - prevIndex);
  return fc.array(fc.tuple(fc.nat({ max: 3 }), fc.constantFrom('normal' as const, 'conf' as const), arbData), { maxLength: countMax })
    .map((specs) => {
      let entryTerm = Math.max(prevTerm, 1);
      return specs.map(([step, kind, data], i): Entry => {
        entryTerm = Math.min(term, entryTerm + step);
        return { index: prevIndex + 1 + i, term: entryTerm, kind, data };
      });
    });
}

const arbSnapshot = (term: number): fc.Arbitrary<Snapshot> => fc.tuple(
  arbPositive, arbTermUpTo(term), fc.uniqueArray(arbReplicaId, { minLength: 1, maxLength: 9 }), fc.nat({ max: 8 }), arbData,
).map(([index, snapshotTerm, ids, split, data]): Snapshot => {
  const votersCount = Math.max(1, Math.min(ids.length, ids.length - split));
  return { meta: { index, term: snapshotTerm, membership: { voters: ids.slice(0, votersCount), learners: ids.slice(votersCount) } }, data };
});

/** Every variant, with its own fields; each is valid under DEFAULT_PEER_LIMITS. */
export const arbMessageOf = {
  vote: fc.tuple(arbEnds, arbCount, fc.boolean(), fc.boolean()).chain(([[from, to], term, preVote, transfer]) =>
    arbLogPosition(term).map((last): Message => ({ type: 'vote', from, to, term, preVote, transfer, lastIndex: last.index, lastTerm: last.term }))),
  voteResponse: fc.tuple(arbEnds, arbCount, fc.boolean(), fc.boolean())
    .map(([[from, to], term, preVote, granted]): Message => ({ type: 'voteResponse', from, to, term, preVote, granted })),
  append: fc.tuple(arbEnds, arbPositive, arbCount).chain(([[from, to], term, commit]) =>
    arbLogPosition(term).chain((prev) => arbEntries(prev.index, prev.term, term).map((entries): Message => ({
      type: 'append', from, to, term, prevIndex: prev.index, prevTerm: prev.term, entries, commit,
    })))),
  appendResponse: fc.tuple(arbEnds, arbCount, fc.boolean(), arbCount, arbCount)
    .map(([[from, to], term, rejected, index, hintIndex]): Message => ({ type: 'appendResponse', from, to, term, rejected, index, hintIndex })),
  // Context 0 often: those travel coalesced (schema/peer.capnp, GroupHeartbeat), the others as RaftMessages.
  heartbeat: fc.tuple(arbEnds, arbCount, arbCount, arbContext)
    .map(([[from, to], term, commit, context]): Message => ({ type: 'heartbeat', from, to, term, commit, context })),
  heartbeatResponse: fc.tuple(arbEnds, arbCount, arbContext)
    .map(([[from, to], term, context]): Message => ({ type: 'heartbeatResponse', from, to, term, context })),
  // Whole (offset 0, size the data's) or a chunk somewhere in a larger snapshot.
  snapshot: fc.tuple(arbEnds, arbPositive, fc.boolean(), fc.nat({ max: 1 << 20 }), fc.nat({ max: 1 << 20 })).chain(([[from, to], term, whole, offset, after]) =>
    arbSnapshot(term).map((snapshot): Message => (whole
      ? { type: 'snapshot', from, to, term, snapshot, offset: 0, size: snapshot.data.length }
      : { type: 'snapshot', from, to, term, snapshot, offset, size: offset + snapshot.data.length + after }))),
  snapshotResponse: fc.tuple(arbEnds, arbCount, arbCount, arbCount)
    .map(([[from, to], term, index, received]): Message => ({ type: 'snapshotResponse', from, to, term, index, received })),
  timeoutNow: fc.tuple(arbEnds, arbCount).map(([[from, to], term]): Message => ({ type: 'timeoutNow', from, to, term })),
  readIndex: fc.tuple(arbEnds, arbCount, arbCount).map(([[from, to], term, context]): Message => ({ type: 'readIndex', from, to, term, context })),
  readIndexResponse: fc.tuple(arbEnds, arbCount, arbCount, arbCount)
    .map(([[from, to], term, context, index]): Message => ({ type: 'readIndexResponse', from, to, term, context, index })),
} satisfies Record<Message['type'], fc.Arbitrary<Message>>;

export const arbMessage: fc.Arbitrary<Message> = fc.oneof(...Object.values(arbMessageOf));

export const arbGroup: fc.Arbitrary<number> = fc.oneof(fc.nat({ max: 16 }), fc.integer({ min: 0, max: U32_MAX }));

export const arbFrame: fc.Arbitrary<PeerFrame> = fc.tuple(arbGroup, arbMessage).map(([group, message]) => ({ group, message }));

export const arbBatch: fc.Arbitrary<PeerFrame[]> = fc.array(arbFrame, { minLength: 1, maxLength: 6 });
