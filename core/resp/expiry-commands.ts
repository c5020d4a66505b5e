// Time-to-live commands TTL, PTTL and PERSIST: each one request on the key's
// shard. EXPIRE and its family (with Redis 7's NX / XX / GT / LT) and
// EXPIRETIME are data commands (core/types/keyspace/expire-commands.ts): they
// judge the time against the log entry's, never the door's clock.

import { requestsPlan, writeErrReply, type CommandTable, type Finish, type Plan, type TranslateContext } from './plan.js';

/** 1 if the key existed (and its TTL changed, or it was deleted), else 0. */
const finishFound: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  out.writeInteger(r.found ? 1 : 0);
};

/** TTL rounds ms to the nearest second as Redis does; -1 (no expiry) and -2 (no key) pass through. */
function ttlCommand(unitMs: 1 | 1000) {
  const finish: Finish = (replies, out) => {
    const r = replies[0]!;
    if (!r.ok) return writeErrReply(r, out);
    const ms = r.integer ?? -2n;
    out.writeInteger(ms < 0n || unitMs === 1 ? ms : (ms + 500n) / 1000n);
  };
  return (args: Uint8Array[], ctx: TranslateContext): Plan => requestsPlan([{ op: 'ttl', key: args[1]! }], finish, ctx);
}

export const EXPIRY_COMMANDS: CommandTable = {
  ttl: { arity: 2, translate: ttlCommand(1000) },
  pttl: { arity: 2, translate: ttlCommand(1) },
  // An expire request with neither ttlMs nor expireAtMs clears the TTL; found says whether there was one.
  persist: { arity: 2, translate: (args, ctx) => requestsPlan([{ op: 'expire', key: args[1]! }], finishFound, ctx) },
};
