// --maxmemory with the noeviction policy, on one shard: a write that may add
// data is refused with OUT_OF_MEMORY while the shard's store holds more than
// its budget; reads and writes that only remove or re-time data go on, so a
// full node can always be emptied. As Redis's noeviction: the check is on
// the memory used before the write (a write can take a shard past its
// budget once; the next one is refused), and the commands refused are the
// ones Redis flags `denyoom`.
//
// The budget is per shard (the node's maxmemory / its shard count): each
// worker judges its own shards without asking the others, and keys spread
// evenly over shards by hash, so a node stops taking writes at about
// maxmemory in all. The runtime hands the budget in; 0 means no limit.

import { errReply, type Reply, type Request } from '../protocol/ops.js';
import { isWriteCall } from '../types/call-request.js';

/**
 * Data commands that write but only remove or re-time data: the ones Redis
 * does not flag `denyoom`, so a full node can still be emptied. Every other
 * data command that writes may grow the store.
 */
const SHRINKING_DATA_COMMANDS: ReadonlySet<string> = new Set([
  'hdel', 'lpop', 'rpop', 'lmpop', 'blpop', 'brpop', 'blmpop', 'lrem', 'ltrim', 'srem', 'spop',
  'zrem', 'zremrangebyrank', 'zremrangebyscore', 'zremrangebylex', 'zpopmin', 'zpopmax', 'zmpop', 'bzpopmin', 'bzpopmax', 'bzmpop',
  'expire', 'pexpire', 'expireat', 'pexpireat',
]);

/** Whether the request may grow the store (Redis's `denyoom` commands). Deletes, expiry changes and reads never do. */
export function mayGrowMemory(request: Request): boolean {
  switch (request.op) {
    case 'set': case 'mset': case 'incr': case 'incrFloat': case 'append': case 'setRange':
      return true;
    case 'tx':
      return request.ops.some(mayGrowMemory);
    case 'call':
      return isWriteCall(request) && !SHRINKING_DATA_COMMANDS.has(request.name);
    default:
      return false;
  }
}

/** The OUT_OF_MEMORY reply when the shard is over its budget and the request may grow it; null to serve it. */
export function memoryRefusal(request: Request, usedBytes: number, budgetBytes: number): Reply | null {
  if (budgetBytes === 0 || usedBytes <= budgetBytes || !mayGrowMemory(request)) return null;
  return errReply('OUT_OF_MEMORY',
    `the shard holds ${usedBytes} bytes, over its share of maxmemory (${budgetBytes} bytes); writes that add data are refused until keys are deleted or maxmemory is raised`);
}

/** A shard's budget: the node's maxmemory split evenly over its shards (at least 1 byte when limited, so a limit never reads as "none"). */
export function shardMemoryBudgetBytes(maxmemoryBytes: number, shardCount: number): number {
  if (maxmemoryBytes === 0) return 0;
  return Math.max(1, Math.floor(maxmemoryBytes / shardCount));
}
