@0xd4e1dc0e7aede142;
# Piccolo peer wire format: the Raft messages replicas of a group exchange,
# node to node. The real transport sends these bytes, and the simulator's
# network is to carry the same ones, so that what the simulations exercise is
# what goes over the wire.
#
# One PeerBatch per write: the transport batches every message bound for the
# same node, whatever its group. Messages are unpacked Cap'n Proto with the
# standard segment table, like the client format (schema/piccolo.capnp).
#
# This file mirrors the Message union in core/raft/raft-types.ts, field for
# field; schema/peer-codec.ts reads and writes it and says which values are
# valid (docs/protocol.md, "Peer wire format").
#
# Compatibility: never renumber or retype a field; only add. A new message
# type is a new union member: a node that does not know it rejects the batch
# (and the transport drops that link), so new types are only sent once every
# node understands them. Client messages (Request / Response) never travel
# here, nor peer messages there.

struct PeerBatch {
  frames @0 :List(PeerFrame);
  heartbeats @1 :List(GroupHeartbeat);  # coalesced heartbeats and responses (see below)
}

# Heartbeats coalesced per node pair (the multi-raft of etcd and CockroachDB):
# a node leading many groups whose followers sit on the same node sends their
# periodic heartbeats, and the follower their responses, as one list entry per
# group in the batch instead of one RaftMessage per group (32 bytes against
# 72). The receiver expands each entry back into that group's heartbeat or
# heartbeatResponse, so Raft sees exactly the messages it sent. Only messages
# without a read-index context travel here (context 0): a heartbeat that
# confirms a read round, and its response, stay RaftMessages in `frames`.
struct GroupHeartbeat {
  group @0 :UInt32;
  from @1 :UInt32;
  to @2 :UInt32;
  response @3 :Bool;             # a heartbeatResponse (commit is 0); else a heartbeat
  term @4 :UInt64;
  commit @5 :UInt64;             # a heartbeat's commit
}

# One message for one replica of one Raft group on the receiving node.
struct PeerFrame {
  group @0 :UInt32;
  message @1 :RaftMessage;
}

# A message's own fields sit in a group per type rather than a struct of its
# own: no pointer to follow, and a heartbeat stays a few words.
struct RaftMessage {
  from @0 :UInt32;               # replica ids; 0 is reserved for "none"
  to @1 :UInt32;
  term @2 :UInt64;               # the sender's term (pre-votes: the term it would campaign for)
  union {
    vote :group {
      preVote @3 :Bool;          # a trial election that changes no term
      transfer @4 :Bool;         # leadership transfer: ignores leases
      lastIndex @5 :UInt64;
      lastTerm @6 :UInt64;
    }
    voteResponse :group {
      preVote @7 :Bool;
      granted @8 :Bool;
    }
    append :group {
      prevIndex @9 :UInt64;
      prevTerm @10 :UInt64;
      entries @11 :List(Entry);  # indexes prevIndex + 1, prevIndex + 2, ...
      commit @12 :UInt64;
    }
    appendResponse :group {
      rejected @13 :Bool;
      index @14 :UInt64;         # accepted: last matching index; rejected: the prevIndex that did not match
      hintIndex @15 :UInt64;     # rejected: the follower's last index
    }
    heartbeat :group {
      commit @16 :UInt64;
      context @17 :UInt64;       # read-index round being confirmed
    }
    heartbeatResponse :group {
      context @18 :UInt64;
    }
    snapshot @19 :Snapshot;
    timeoutNow @20 :Void;        # leadership transfer: campaign now
    readIndex :group {
      context @21 :UInt64;
    }
    readIndexResponse :group {
      context @22 :UInt64;
      index @23 :UInt64;         # 0: the leader could not serve it; the reader retries
    }
    snapshotResponse :group {    # a follower holds the first `received` bytes of a chunked snapshot
      index @24 :UInt64;         # the snapshot's index (meta.index)
      received @25 :UInt64;
    }
  }
}

enum EntryKind {
  normal @0;                     # the application's command (empty: a new leader's no-op)
  conf @1;                       # an encoded ConfChange
}

struct Entry {
  index @0 :UInt64;
  term @1 :UInt64;
  kind @2 :EntryKind;
  data @3 :Data;
}

struct Snapshot {
  meta @0 :SnapshotMeta;
  data @1 :Data;                 # the application's state machine at meta.index (a chunk of it: see below)
  offset @2 :UInt64;             # where this message's data starts in the whole snapshot's bytes
  size @3 :UInt64;               # the whole snapshot's bytes; 0: data is the whole (an older sender)
}

struct SnapshotMeta {
  index @0 :UInt64;              # the last entry the snapshot covers
  term @1 :UInt64;
  membership @2 :Membership;     # as of index
}

struct Membership {
  voters @0 :List(UInt32);
  learners @1 :List(UInt32);
}
