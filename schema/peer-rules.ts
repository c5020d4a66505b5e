// What makes a Raft message from a peer acceptable beyond being readable:
// the rules every message an honest replica sends obeys (see
// core/raft/raft.ts), so that a corrupt or malicious peer cannot hand the
// core a value it was never written to handle. schema/peer-codec.ts applies
// them to every message it decodes; an encoder's caller may apply them too.
//
// The rules:
// - replica ids are 1..2^32-1 (0 means "none") and a message is never from
//   and to the same replica;
// - terms, indexes, commits and contexts are safe integers (the reader has
//   refused anything beyond 2^53 - 1 already);
// - a log position's term is 0 exactly when its index is 0 (vote: lastIndex
//   and lastTerm; append: prevIndex and prevTerm), and never above the
//   message's term: a replica's log holds no entry newer than its term;
// - an append's entries are at prevIndex + 1, prevIndex + 2, ..., with terms
//   from 1 up, never below prevTerm, never falling, never above the message's
//   term; at most appendEntriesMax of them;
// - a snapshot covers index >= 1 at a term from 1 to the message's term; its
//   membership has at least one voter, no id twice (voters and learners
//   together), at most membershipReplicasMax ids; the whole snapshot
//   (`size`) at most snapshotBytesMax bytes, and the message's data a part
//   of it: offset + data length <= size (a chunk, or the whole at offset 0);
// - a snapshot response's index and received bytes are counts.

import { unreachable } from '../core/assert.js';
import type { PeerLimits } from '../core/limits.js';
import { NO_REPLICA, type Entry, type Membership, type Message, type Snapshot } from '../core/raft/raft-types.js';

const U32_MAX = 0xffff_ffff;

/** The first rule `message` breaks, or null when it keeps them all. */
export function peerMessageProblem(message: Message, limits: PeerLimits): string | null {
  const { from, to, term } = message;
  if (!isReplicaId(from)) return `from ${from} is not a replica id (1 to 2^32-1)`;
  if (!isReplicaId(to)) return `to ${to} is not a replica id (1 to 2^32-1)`;
  if (from === to) return `a message from replica ${from} to itself`;
  const termProblem = countProblem('term', term);
  if (termProblem !== null) return termProblem;
  switch (message.type) {
    case 'vote':
      return logPositionProblem('lastIndex', message.lastIndex, 'lastTerm', message.lastTerm, term);
    case 'append':
      return logPositionProblem('prevIndex', message.prevIndex, 'prevTerm', message.prevTerm, term)
        ?? countProblem('commit', message.commit)
        ?? entriesProblem(message.entries, message.prevIndex, message.prevTerm, term, limits);
    case 'appendResponse':
      return countProblem('index', message.index) ?? countProblem('hintIndex', message.hintIndex);
    case 'heartbeat':
      return countProblem('commit', message.commit) ?? countProblem('context', message.context);
    case 'heartbeatResponse': case 'readIndex':
      return countProblem('context', message.context);
    case 'readIndexResponse':
      return countProblem('context', message.context) ?? countProblem('index', message.index);
    case 'snapshot':
      return snapshotProblem(message.snapshot, term, limits) ?? chunkProblem(message.offset, message.snapshot.data.length, message.size, limits);
    case 'snapshotResponse':
      return countProblem('index', message.index) ?? countProblem('received', message.received);
    case 'voteResponse': case 'timeoutNow':
      return null;
    default:
      return unreachable(message, 'message type');
  }
}

function isReplicaId(id: number): boolean {
  return Number.isInteger(id) && id !== NO_REPLICA && id > 0 && id <= U32_MAX;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

// One field at a time, not a record of them: this runs for every message decoded.
function countProblem(name: string, value: number): string | null {
  return isCount(value) ? null : `${name} ${value} is not a non-negative safe integer`;
}

/** A (index, term) pair naming a log entry, or 0/0 for "before the first". */
function logPositionProblem(indexName: string, index: number, termName: string, logTerm: number, messageTerm: number): string | null {
  const counts = countProblem(indexName, index) ?? countProblem(termName, logTerm);
  if (counts !== null) return counts;
  if ((index === 0) !== (logTerm === 0)) return `${indexName} ${index} with ${termName} ${logTerm}: only index 0 has term 0`;
  if (logTerm > messageTerm) return `${termName} ${logTerm} is above the message's term ${messageTerm}`;
  return null;
}

function entriesProblem(entries: readonly Entry[], prevIndex: number, prevTerm: number, messageTerm: number, limits: PeerLimits): string | null {
  if (entries.length > limits.appendEntriesMax) return `append carries ${entries.length} entries; the limit is ${limits.appendEntriesMax}`;
  let lastTerm = prevTerm;
  for (let i = 0; i < entries.length; i++) {
    const { index, term, kind } = entries[i]!;
    if (index !== prevIndex + 1 + i) return `entry ${i} has index ${index}, not ${prevIndex + 1 + i} (entries follow prevIndex without gaps)`;
    if (!isCount(term) || term === 0) return `entry ${index} has term ${term}; entry terms start at 1`;
    if (term < lastTerm) return `entry ${index} has term ${term}, below the term ${lastTerm} before it`;
    if (term > messageTerm) return `entry ${index} has term ${term}, above the message's term ${messageTerm}`;
    if (kind !== 'normal' && kind !== 'conf') return `entry ${index} has unknown kind ${String(kind)}`;
    lastTerm = term;
  }
  return null;
}

function snapshotProblem(snapshot: Snapshot, messageTerm: number, limits: PeerLimits): string | null {
  const { index, term, membership } = snapshot.meta;
  const counts = countProblem('snapshot index', index) ?? countProblem('snapshot term', term);
  if (counts !== null) return counts;
  if (index === 0 || term === 0) return `snapshot at index ${index}, term ${term}: a snapshot covers index 1 or later, at term 1 or later`;
  if (term > messageTerm) return `snapshot term ${term} is above the message's term ${messageTerm}`;
  if (snapshot.data.length > limits.snapshotBytesMax) {
    return `snapshot data is ${snapshot.data.length} bytes; the limit is ${limits.snapshotBytesMax}`;
  }
  return membershipProblem(membership, limits);
}

function chunkProblem(offset: number, length: number, size: number, limits: PeerLimits): string | null {
  const counts = countProblem('snapshot offset', offset) ?? countProblem('snapshot size', size);
  if (counts !== null) return counts;
  if (size > limits.snapshotBytesMax) return `snapshot is ${size} bytes; the limit is ${limits.snapshotBytesMax}`;
  if (offset + length > size) return `snapshot chunk at ${offset} of ${length} bytes runs past the snapshot's ${size} bytes`;
  return null;
}

function membershipProblem({ voters, learners }: Membership, limits: PeerLimits): string | null {
  const count = voters.length + learners.length;
  if (count > limits.membershipReplicasMax) return `membership names ${count} replicas; the limit is ${limits.membershipReplicasMax}`;
  if (voters.length === 0) return 'membership has no voters';
  const seen = new Set<number>();
  for (const id of [...voters, ...learners]) {
    if (!isReplicaId(id)) return `membership names ${id}, not a replica id (1 to 2^32-1)`;
    if (seen.has(id)) return `membership names replica ${id} twice`;
    seen.add(id);
  }
  return null;
}
