@0x83fac89c868982be;
# Piccolo peer wire format, part two: client requests forwarded between
# nodes. A node that receives a client request (HTTP or WebSocket) for a
# group another node leads sends it to that leader over their peer link and
# relays the answer (docs/cluster.md, "Forwarding"). Kept apart from
# schema/peer.capnp (the Raft messages) so the two evolve independently.
#
# A PeerForward travels on the peer stream as its own message, between peer
# batches. Receivers tell the two apart by the root struct's layout: a
# PeerBatch has no data section, a PeerForward always has one
# (schema/peer-forward-codec.ts, isPeerForward).
#
# The request and the reply are carried as the exact frames a client would
# send and receive (schema/piccolo.capnp Request / Response, id 0), so the
# leader decodes and validates a forwarded request with the same code as any
# client frame, and no second encoding of the request model exists.
#
# Compatibility: never renumber or retype a field; only add. A node that
# does not know PeerForward refuses it as a malformed batch (dropped; the
# link stays), so forwarding is only used once every node understands it.

struct PeerForward {
  id @0 :UInt64;          # chosen by the forwarding node, echoed in the reply
  group @1 :UInt32;       # the shard group the request is for
  leaderHint @2 :UInt32;  # reply only: NOT_LEADER's leader as the answering node knows it (0: none)
  isReply @3 :Bool;       # false: a request to serve; true: the answer to request `id`
  frame @4 :Data;         # a client Request frame, or a client Response frame
}
