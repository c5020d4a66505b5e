// What a transaction (`tx` request, core/protocol/ops.ts) may hold and which
// keys it names. A transaction is one ring record and one log entry, so its
// size is bounded to fit one frame; its keys decide the one shard group that
// applies it (core/routing/split.ts refuses keys of several with CROSS_SLOT).

import type { Limits } from '../limits.js';
import { callArgBytes, callKeys } from '../types/call-request.js';
import type { Bytes, Request, TxRequest } from './ops.js';

/**
 * Commands one transaction may hold. Bounds a RESP connection's MULTI queue
 * (it grows until EXEC) and the work one log entry does on apply: about a
 * millisecond of a worker's time at the shard's few µs per op.
 */
export const TX_OPS_MAX = 1024;

/**
 * Bytes an op or a watched key adds to the encoded transaction beyond its
 * keys' and values' bytes (opcode, flags, length prefixes, numbers: at most
 * 40 in core/ring/ring-codec.ts), rounded up. With it, a transaction judged
 * within frameBytesMax encodes within one frame, so it fits the ring and one
 * peer batch (core/limits.ts asserts both hold a frame).
 */
export const TX_OP_OVERHEAD_BYTES = 64;

/** The start of a CROSS_SLOT refusal's message: Redis Cluster's words, which clients know. */
export const CROSS_SLOT_MESSAGE = "Keys in request don't hash to the same slot";

// The refusals' words, shared by validation (core/protocol/validate.ts) and
// the binary decoders, which judge list lengths before reading the elements.
export const txOpsTooManyMessage = (count: number): string => `transaction holds ${count} commands; the limit is ${TX_OPS_MAX}`;
export const txWatchTooManyMessage = (count: number, watchMax: number): string => `transaction watches ${count} keys; the limit is ${watchMax}`;
export const txOpRefusedMessage = (op: string): string => `a transaction cannot hold ${op}: it is keyless or nested`;

/** Ops a transaction refuses: keyless ones span every shard, and a transaction does not nest. */
export function isTxAllowedOp(op: Request['op']): boolean {
  return op !== 'scan' && op !== 'count' && op !== 'flush' && op !== 'tx';
}

/** The keys one (non-transaction) request names, in order; empty for keyless ones. */
export function keysOfRequest(req: Request): Bytes[] {
  switch (req.op) {
    case 'mget': return req.keys;
    case 'mset': return req.entries.map((e) => e.key);
    case 'scan': case 'count': case 'flush': return [];
    case 'tx': return txKeys(req);
    case 'call': return callKeys(req);
    default: return [req.key];
  }
}


/** Every key a transaction names: its ops' keys, then its watched keys. */
export function txKeys(req: TxRequest): Bytes[] {
  const keys: Bytes[] = [];
  for (const op of req.ops) for (const key of keysOfRequest(op)) keys.push(key);
  for (const w of req.watch) keys.push(w.key);
  return keys;
}

/** Bytes of keys and values in a request (what its encoding carries beyond fixed fields). */
function dataBytesOf(req: Request): number {
  switch (req.op) {
    case 'set': case 'append': case 'setRange': return req.key.length + req.value.length;
    case 'mset': return req.entries.reduce((n, e) => n + e.key.length + e.value.length, 0);
    case 'mget': return req.keys.reduce((n, k) => n + k.length, 0);
    case 'scan': return req.prefix.length + req.cursor.length;
    case 'count': case 'flush': return 0;
    case 'tx': return txEncodedBytesBound(req);
    case 'call': return callArgBytes(req);
    default: return req.key.length;
  }
}

/** An upper bound of what one op adds to a transaction's encoding. */
export function opEncodedBytesBound(op: Request): number {
  return TX_OP_OVERHEAD_BYTES + dataBytesOf(op);
}

/** An upper bound of the transaction's encoded size (ring record and log entry, headers apart). */
export function txEncodedBytesBound(req: TxRequest): number {
  let bytes = TX_OP_OVERHEAD_BYTES;
  for (const op of req.ops) bytes += opEncodedBytesBound(op);
  for (const w of req.watch) bytes += TX_OP_OVERHEAD_BYTES + w.key.length;
  return bytes;
}

/** The byte budget of one transaction: one frame, so its record fits the ring and its entry a peer batch. */
export function txBytesMax(limits: Limits): number {
  return limits.frameBytesMax;
}
