// The peer format through capnp-ts and the generated code
// (schema/generated/peer.capnp.ts): the reference schema/peer-codec.ts is
// checked against. Test-only: it reads whatever the frame says, without the
// codec's limits and rules, and throws on what capnp-ts cannot read.

import * as capnp from 'capnp-ts';
import type { Entry, Message, Snapshot } from '../../core/raft/raft-types.js';
import { unreachable } from '../../core/assert.js';
import { buildMessage, openMessage, toU64, writeData } from '../../schema/capnp-message.js';
import * as wire from '../../schema/generated/peer.capnp.js';
import { isCoalescedHeartbeat, type PeerFrame } from '../../schema/peer-codec.js';

/** Builds a batch with capnp-ts into `message` (any arena): heartbeats without a context coalesced, as the codec does. */
export function writePeerBatch(message: capnp.Message, frames: readonly PeerFrame[]): void {
  const batch = message.initRoot(wire.PeerBatch);
  const others = frames.filter((f) => !isCoalescedHeartbeat(f.message));
  const beats = frames.filter((f) => isCoalescedHeartbeat(f.message));
  if (others.length > 0) {
    const list = batch.initFrames(others.length);
    others.forEach(({ group, message: m }, i) => {
      const frame = list.get(i);
      frame.setGroup(group);
      writeMessage(frame.initMessage(), m);
    });
  }
  if (beats.length > 0) {
    const list = batch.initHeartbeats(beats.length);
    beats.forEach(({ group, message: m }, i) => {
      const beat = list.get(i);
      beat.setGroup(group);
      beat.setFrom(m.from);
      beat.setTo(m.to);
      beat.setTerm(toU64(m.term, 'term'));
      if (m.type === 'heartbeat') beat.setCommit(toU64(m.commit, 'commit'));
      else beat.setResponse(true);
    });
  }
}

export function encodePeerBatchReference(frames: readonly PeerFrame[]): Uint8Array {
  return buildMessage((message) => writePeerBatch(message, frames));
}

function writeMessage(w: wire.RaftMessage, m: Message): void {
  w.setFrom(m.from);
  w.setTo(m.to);
  w.setTerm(toU64(m.term, 'term'));
  switch (m.type) {
    case 'vote': {
      const g = w.initVote();
      g.setPreVote(m.preVote);
      g.setTransfer(m.transfer);
      g.setLastIndex(toU64(m.lastIndex, 'lastIndex'));
      g.setLastTerm(toU64(m.lastTerm, 'lastTerm'));
      break;
    }
    case 'voteResponse': {
      const g = w.initVoteResponse();
      g.setPreVote(m.preVote);
      g.setGranted(m.granted);
      break;
    }
    case 'append': {
      const g = w.initAppend();
      g.setPrevIndex(toU64(m.prevIndex, 'prevIndex'));
      g.setPrevTerm(toU64(m.prevTerm, 'prevTerm'));
      if (m.entries.length > 0) writeEntries(g.initEntries(m.entries.length), m.entries);
      g.setCommit(toU64(m.commit, 'commit'));
      break;
    }
    case 'appendResponse': {
      const g = w.initAppendResponse();
      g.setRejected(m.rejected);
      g.setIndex(toU64(m.index, 'index'));
      g.setHintIndex(toU64(m.hintIndex, 'hintIndex'));
      break;
    }
    case 'heartbeat': {
      const g = w.initHeartbeat();
      g.setCommit(toU64(m.commit, 'commit'));
      g.setContext(toU64(m.context, 'context'));
      break;
    }
    case 'heartbeatResponse':
      w.initHeartbeatResponse().setContext(toU64(m.context, 'context'));
      break;
    case 'snapshot':
      writeSnapshot(w.initSnapshot(), m.snapshot, m.offset, m.size);
      break;
    case 'snapshotResponse': {
      const g = w.initSnapshotResponse();
      g.setIndex(toU64(m.index, 'index'));
      g.setReceived(toU64(m.received, 'received'));
      break;
    }
    case 'timeoutNow':
      w.setTimeoutNow();
      break;
    case 'readIndex':
      w.initReadIndex().setContext(toU64(m.context, 'context'));
      break;
    case 'readIndexResponse': {
      const g = w.initReadIndexResponse();
      g.setContext(toU64(m.context, 'context'));
      g.setIndex(toU64(m.index, 'index'));
      break;
    }
    default:
      unreachable(m, 'message type');
  }
}

function writeEntries(list: capnp.List<wire.Entry>, entries: readonly Entry[]): void {
  entries.forEach((entry, i) => {
    const e = list.get(i);
    e.setIndex(toU64(entry.index, 'entry index'));
    e.setTerm(toU64(entry.term, 'entry term'));
    e.setKind(entry.kind === 'conf' ? wire.EntryKind.CONF : wire.EntryKind.NORMAL);
    writeData((length) => e.initData(length), entry.data);
  });
}

function writeSnapshot(w: wire.Snapshot, snapshot: Snapshot, offset: number, size: number): void {
  w.setOffset(toU64(offset, 'snapshot offset'));
  w.setSize(toU64(size, 'snapshot size'));
  const meta = w.initMeta();
  meta.setIndex(toU64(snapshot.meta.index, 'snapshot index'));
  meta.setTerm(toU64(snapshot.meta.term, 'snapshot term'));
  const membership = meta.initMembership();
  const { voters, learners } = snapshot.meta.membership;
  if (voters.length > 0) {
    const list = membership.initVoters(voters.length);
    voters.forEach((id, i) => list.set(i, id));
  }
  if (learners.length > 0) {
    const list = membership.initLearners(learners.length);
    learners.forEach((id, i) => list.set(i, id));
  }
  writeData((length) => w.initData(length), snapshot.data);
}

/** Reads a batch with capnp-ts: every field as the frame holds it (numbers via Number(), so beyond 2^53 they round). */
export function decodePeerBatchReference(bytes: Uint8Array): PeerFrame[] {
  const batch = openMessage(bytes).getRoot(wire.PeerBatch);
  const frames = batch.getFrames();
  const out: PeerFrame[] = [];
  for (let i = 0; i < frames.getLength(); i++) {
    const frame = frames.get(i);
    out.push({ group: frame.getGroup(), message: readMessage(frame.getMessage()) });
  }
  const beats = batch.getHeartbeats();
  for (let i = 0; i < beats.getLength(); i++) {
    const b = beats.get(i);
    const base = { from: b.getFrom(), to: b.getTo(), term: Number(b.getTerm()) };
    out.push({
      group: b.getGroup(),
      message: b.getResponse() ? { type: 'heartbeatResponse', ...base, context: 0 } : { type: 'heartbeat', ...base, commit: Number(b.getCommit()), context: 0 },
    });
  }
  return out;
}

const copy = (data: capnp.Data): Uint8Array => new Uint8Array(data.toUint8Array());

function readMessage(w: wire.RaftMessage): Message {
  const base = { from: w.getFrom(), to: w.getTo(), term: Number(w.getTerm()) };
  const which = w.which();
  switch (which) {
    case wire.RaftMessage_Which.VOTE: {
      const g = w.getVote();
      return {
        type: 'vote', ...base, preVote: g.getPreVote(), transfer: g.getTransfer(),
        lastIndex: Number(g.getLastIndex()), lastTerm: Number(g.getLastTerm()),
      };
    }
    case wire.RaftMessage_Which.VOTE_RESPONSE:
      return { type: 'voteResponse', ...base, preVote: w.getVoteResponse().getPreVote(), granted: w.getVoteResponse().getGranted() };
    case wire.RaftMessage_Which.APPEND: {
      const g = w.getAppend();
      const list = g.getEntries();
      const entries: Entry[] = [];
      for (let i = 0; i < list.getLength(); i++) {
        const e = list.get(i);
        entries.push({
          index: Number(e.getIndex()), term: Number(e.getTerm()),
          kind: e.getKind() === wire.EntryKind.CONF ? 'conf' : 'normal', data: copy(e.getData()),
        });
      }
      return { type: 'append', ...base, prevIndex: Number(g.getPrevIndex()), prevTerm: Number(g.getPrevTerm()), entries, commit: Number(g.getCommit()) };
    }
    case wire.RaftMessage_Which.APPEND_RESPONSE: {
      const g = w.getAppendResponse();
      return { type: 'appendResponse', ...base, rejected: g.getRejected(), index: Number(g.getIndex()), hintIndex: Number(g.getHintIndex()) };
    }
    case wire.RaftMessage_Which.HEARTBEAT:
      return { type: 'heartbeat', ...base, commit: Number(w.getHeartbeat().getCommit()), context: Number(w.getHeartbeat().getContext()) };
    case wire.RaftMessage_Which.HEARTBEAT_RESPONSE:
      return { type: 'heartbeatResponse', ...base, context: Number(w.getHeartbeatResponse().getContext()) };
    case wire.RaftMessage_Which.SNAPSHOT: {
      const s = w.getSnapshot();
      const meta = s.getMeta();
      const membership = meta.getMembership();
      const ids = (list: capnp.List<number>): number[] => Array.from({ length: list.getLength() }, (_, i) => list.get(i));
      return {
        type: 'snapshot', ...base,
        snapshot: {
          meta: {
            index: Number(meta.getIndex()), term: Number(meta.getTerm()),
            membership: { voters: ids(membership.getVoters()), learners: ids(membership.getLearners()) },
          },
          data: copy(s.getData()),
        },
        // Size 0: a sender from before chunked snapshots (the data is the whole).
        offset: Number(s.getOffset()), size: s.getSize() === 0n ? s.getData().getLength() : Number(s.getSize()),
      };
    }
    case wire.RaftMessage_Which.SNAPSHOT_RESPONSE: {
      const g = w.getSnapshotResponse();
      return { type: 'snapshotResponse', ...base, index: Number(g.getIndex()), received: Number(g.getReceived()) };
    }
    case wire.RaftMessage_Which.TIMEOUT_NOW:
      return { type: 'timeoutNow', ...base };
    case wire.RaftMessage_Which.READ_INDEX:
      return { type: 'readIndex', ...base, context: Number(w.getReadIndex().getContext()) };
    case wire.RaftMessage_Which.READ_INDEX_RESPONSE: {
      const g = w.getReadIndexResponse();
      return { type: 'readIndexResponse', ...base, context: Number(g.getContext()), index: Number(g.getIndex()) };
    }
    default:
      throw new Error(`unknown message type (union tag ${String(which)})`);
  }
}
