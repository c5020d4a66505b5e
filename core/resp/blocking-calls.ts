// Which `call` requests may block (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX, BZMPOP)
// and what they wait for: the keys a write wakes them on and how long they
// wait. The shard runs them as their non-blocking forms
// (core/types/list/list-pop-commands.ts, core/types/zset/zset-pop-commands.ts); the RESP door parks them on a nil
// answer (blocking-waiters.ts). Also: which keys a write reply may have
// filled, to wake them.

import type { DataValue } from '../protocol/data-value.js';
import type { Bytes, Reply, Request } from '../protocol/ops.js';
import { callKeys, isWriteCall } from '../types/call-request.js';
import { blockingTimeoutMs } from '../types/list/list-args.js';

/** Where each blocking command's timeout is among its arguments. */
const TIMEOUT_ARG: Readonly<Record<string, 'first' | 'last'>> = {
  blpop: 'last', brpop: 'last', blmove: 'last', brpoplpush: 'last', blmpop: 'first',
  bzpopmin: 'last', bzpopmax: 'last', bzmpop: 'first',
};

export interface BlockingCall {
  keys: Bytes[];
  /** 0 = forever. */
  timeoutMs: number;
}

/** What a request waits for when it may block; null for any other request (or one whose timeout is invalid: it fails when run). */
export function blockingCallOf(request: Request): BlockingCall | null {
  if (request.op !== 'call' || !Object.hasOwn(TIMEOUT_ARG, request.name)) return null;
  const args = request.args;
  if (args.length === 0) return null;
  const timeoutMs = blockingTimeoutMs(TIMEOUT_ARG[request.name] === 'first' ? args[0]! : args[args.length - 1]!);
  if (typeof timeoutMs !== 'number') return null;
  return { keys: callKeys(request), timeoutMs };
}

/** Whether a blocking command's reply says it found nothing (nil from BLMOVE / BRPOPLPUSH, nilArray from the others). */
export function foundNothing(reply: Reply): boolean {
  if (!reply.ok) return false;
  const t = (reply.data as DataValue | undefined)?.t;
  return t === 'nil' || t === 'nilArray';
}

/** The keys a successful write reply may have filled: a data command's keys (in a transaction too). */
export function keysWritten(request: Request, reply: Reply): Bytes[] {
  if (!reply.ok) return [];
  if (request.op === 'call') return isWriteCall(request) ? callKeys(request) : [];
  if (request.op !== 'tx') return [];
  const keys: Bytes[] = [];
  for (const op of request.ops) if (op.op === 'call' && isWriteCall(op)) keys.push(...callKeys(op));
  return keys;
}
