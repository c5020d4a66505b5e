// A test double's way to serve one request on a lone node's group of one,
// for deliberately broken workers (test/sim/broken-core.test.ts,
// test/sim/transactions.test.ts).

import type { Reply, Request } from '../../core/protocol/ops.js';
import type { ReplicaOutcome, ShardReplica } from '../../core/replica/shard-replica.js';
import { isWriteRequest, type ReadRequest } from '../../core/shard/command.js';

/** One request through a lone node's group of one, answered at once: propose or read, then carry out its Ready. */
export function serveAtOnce(replica: ShardReplica, req: Request, nowMs: number): Reply {
  let outcome: ReplicaOutcome | null = null;
  const done = (o: ReplicaOutcome): void => { outcome = o; };
  if (isWriteRequest(req)) replica.propose(req, nowMs, done);
  else {
    const now = replica.readNow(req as ReadRequest, nowMs);
    if (now !== null) return now;
    replica.read(req as ReadRequest, done);
  }
  replica.process(nowMs);
  // Over a disk that syncs in the background the write waits for its sync: have it now.
  replica.syncNow(nowMs);
  const got = outcome as ReplicaOutcome | null;
  if (got === null || got.kind !== 'reply') throw new Error('a group of one answers every request in its own Ready');
  return got.reply;
}
