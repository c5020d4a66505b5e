@0xf093514436d8528b;
# Piccolo client wire format (WebSocket binary frames at /v1/ws).
#
# One Request per frame from the client, one Response per frame back, in
# request order. Messages are unpacked Cap'n Proto with the standard segment
# table (what `capnp encode` / `Message.toArrayBuffer()` produce).
#
# This file mirrors core/protocol/ops.ts; docs/protocol.md explains every field.
# Cap'n Proto has no optional scalars, so an absent option is either a value
# that is never valid (0 for ttlMs / expireAtMs, which must be positive) or an
# explicit has-flag where 0 is meaningful (expectedVersion 0 = "must be absent").
#
# Compatibility: never renumber or retype a field; only add. Node-to-node
# messages (forwarding, replication) will get their own top-level structs
# (e.g. PeerRequest / PeerResponse) and never reuse Request / Response.

struct Request {
  id @0 :UInt64;        # client-chosen, echoed in the Response
  union {
    get @1 :GetRequest;
    set @2 :SetRequest;
    del @3 :DelRequest;
    incr @4 :IncrRequest;
    incrFloat @5 :IncrFloatRequest;
    append @6 :AppendRequest;
    exists @7 :KeyRequest;
    ttl @8 :KeyRequest;
    expire @9 :ExpireRequest;
    getRange @10 :GetRangeRequest;
    setRange @11 :SetRangeRequest;
    getEx @12 :GetExRequest;
    scan @13 :ScanRequest;
    mget @14 :MGetRequest;
    mset @15 :MSetRequest;
    count @16 :Void;
    flush @17 :Void;
    tx @18 :TxRequest;
    call @19 :CallRequest;
    watch @20 :WatchRequest;     # open a watch (docs/watch.md); its frames carry this id
    unwatch @21 :Void;           # close the watch with this id
  }
}

# Ops that carry nothing but a key (exists, ttl).
struct KeyRequest {
  key @0 :Data;
}

struct GetRequest {
  key @0 :Data;
}

struct SetRequest {
  key @0 :Data;
  value @1 :Data;
  ifAbsent @2 :Bool;             # SET NX
  ifPresent @3 :Bool;            # SET XX
  hasExpectedVersion @4 :Bool;   # compare-and-set when true
  expectedVersion @5 :UInt64;    # 0 = key must be absent
  ttlMs @6 :UInt64;              # 0 = no TTL
  expireAtMs @7 :UInt64;         # 0 = none; absolute ms since the epoch, wins over ttlMs
  keepTtl @8 :Bool;
  returnPrevious @9 :Bool;
}

struct DelRequest {
  key @0 :Data;
  hasExpectedVersion @1 :Bool;
  expectedVersion @2 :UInt64;
  returnPrevious @3 :Bool;
}

struct IncrRequest {
  key @0 :Data;
  delta @1 :Int64;
}

struct IncrFloatRequest {
  key @0 :Data;
  delta @1 :Float64;
}

struct AppendRequest {
  key @0 :Data;
  value @1 :Data;
}

# Neither ttlMs nor expireAtMs set = PERSIST (clear the TTL).
struct ExpireRequest {
  key @0 :Data;
  ttlMs @1 :UInt64;              # 0 = not given
  expireAtMs @2 :UInt64;         # 0 = not given
}

struct GetRangeRequest {
  key @0 :Data;
  start @1 :Int64;
  end @2 :Int64;
}

struct SetRangeRequest {
  key @0 :Data;
  offset @1 :UInt64;
  value @2 :Data;
}

struct GetExRequest {
  key @0 :Data;
  ttlMs @1 :UInt64;              # 0 = not given
  expireAtMs @2 :UInt64;         # 0 = not given
  persist @3 :Bool;
}

struct ScanRequest {
  prefix @0 :Data;
  cursor @1 :Data;               # empty for the first page
  limit @2 :UInt32;
  withValues @3 :Bool;
}

struct MGetRequest {
  keys @0 :List(Data);
}

struct Entry {
  key @0 :Data;
  value @1 :Data;
}

struct MSetRequest {
  entries @0 :List(Entry);
  ifNoneExist @1 :Bool;
}

# A transaction (docs/protocol.md, "Transactions"): its ops are Requests
# whose id is ignored (write 0); an op may not be a tx itself. Every key it
# names (ops' keys, watched keys) must be in one shard group.
struct TxRequest {
  ops @0 :List(Request);
  watch @1 :List(WatchedKey);
}

# A data command (docs/protocol.md, "Data commands"): the Redis command's
# name in lower case and its arguments after the name, as Redis has them.
# The reply is OkReply.data.
struct CallRequest {
  name @0 :Text;
  args @1 :List(Data);
}

# A watch (docs/watch.md, "Watches" in docs/protocol.md): the changes of
# every key starting with `key`, or of that key alone with exactKey. Its
# frames (watchLive, then change ..., or error) go out of band of the
# connection's ordered replies, tagged with the request's id; unwatch (same
# id) is answered with an empty ok, after which nothing of it follows.
struct WatchRequest {
  key @0 :Data;                  # the prefix (empty: every key), or the key
  exactKey @1 :Bool;             # JSON's "key" rather than "prefix"
  after @2 :Text;                # a resume token a change carried; empty = from now
  groups @3 :List(UInt32);       # a prefix watch of these groups only (what a merging gateway asks each node for);
                                 # null = every group; an empty, repeated or unknown list, or one on a key watch, is BAD_REQUEST
}

# The watch is live: every change after this point follows.
struct WatchLive {
  resume @0 :Text;               # resume here to get every change after this point
}

# A resume token is the same text in both formats (lower-case hex, opaque),
# so a token from a JSON watch resumes a binary one and the other way round.
struct WatchChange {
  key @0 :Data;
  kind @1 :ChangeKind;
  hasValue @2 :Bool;             # false for delete and expire, and for a collection's write (hset, ...)
  value @3 :Data;                # the value after a set
  version @4 :UInt64;            # the log index that made the change
  resume @5 :Text;               # pass as after to resume right after this change
}

enum ChangeKind {
  set @0;                        # written: the key is present after it
  delete @1;
  expire @2;                     # its TTL ran out
}

# WATCH: the version the client saw (0 = absent); any change applies nothing.
struct WatchedKey {
  key @0 :Data;
  version @1 :UInt64;
}

struct Response {
  id @0 :UInt64;        # the id of the Request this answers
  union {
    ok @1 :OkReply;
    error @2 :ErrorReply;        # also: a watch ended (COMPACTED, ...) or was refused
    watchLive @3 :WatchLive;     # the watch is live
    change @4 :WatchChange;      # one change of the watch
  }
}

# Every field an OK reply may carry; which ones are set depends on the op
# (see OkReply in core/protocol/ops.ts). A has-flag marks each field present.
struct OkReply {
  hasFound @0 :Bool;
  found @1 :Bool;
  hasValue @2 :Bool;
  value @3 :Data;
  hasVersion @4 :Bool;
  version @5 :UInt64;
  hasInteger @6 :Bool;
  integer @7 :Int64;
  hasPreviousFound @8 :Bool;
  previousFound @9 :Bool;
  hasPreviousValue @10 :Bool;
  previousValue @11 :Data;
  hasItems @12 :Bool;
  items @13 :List(ItemReply);
  hasScanItems @14 :Bool;
  scanItems @15 :List(ScanItem);
  hasCursor @16 :Bool;
  cursor @17 :Data;              # empty = scan finished
  hasReplies @18 :Bool;
  replies @19 :List(Response);   # tx: one per op, in order (id 0); never nested further
  hasData @20 :Bool;
  data @21 :DataValue;           # call: the command's reply
}

# A data command's reply (core/protocol/data-value.ts): a tree in Redis's
# RESP3 shapes. map holds its pairs laid flat (key, value, key, value ...).
# Readers refuse trees nested deeper than a few levels (docs/protocol.md).
struct DataValue {
  union {
    nil @0 :Void;                # absent value
    nilArray @1 :Void;           # absent aggregate
    int @2 :Int64;
    bytes @3 :Data;
    double @4 :Float64;
    status @5 :Text;             # a status line such as OK
    array @6 :List(DataValue);
    map @7 :List(DataValue);
    set @8 :List(DataValue);
  }
}

# One key of an mget.
struct ItemReply {
  found @0 :Bool;
  hasValue @1 :Bool;
  value @2 :Data;
  hasVersion @3 :Bool;
  version @4 :UInt64;
}

# One key of a scan page.
struct ScanItem {
  key @0 :Data;
  hasValue @1 :Bool;             # only when the scan asked withValues
  value @2 :Data;
  version @3 :UInt64;
}

struct ErrorReply {
  code @0 :UInt16;               # the number from core/errors.ts (stable)
  name @1 :Text;                 # the name from core/errors.ts, e.g. "NOT_FOUND"
  message @2 :Text;              # human-readable detail
  hasCurrentVersion @3 :Bool;    # VERSION_MISMATCH only
  currentVersion @4 :UInt64;     # the key's version now (0 = absent)
}
