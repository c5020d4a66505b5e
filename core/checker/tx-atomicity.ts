// Transactions in a history: how a workload names what a transaction wrote,
// and the one check that per-key linearizability cannot make.
//
// The workload's transactions use pairs of keys that nothing else writes
// (runtime-sim/recording-client.ts): a write transaction sets both keys of a
// pair, each to a value naming the transaction (txValue); a read transaction
// gets both. Each is recorded as one operation per key with the same
// invoke/return window (the second key's under a shadow process, so that a
// process still has one operation open at a time), and the checker judges
// each key's history as a register, as it does every other key.
//
// Why that is sound (it never condemns a correct store): a correct store
// applies a transaction at one point inside its window, so each key's
// projection is a register history with its operation at that point, which
// the per-key search accepts. And why torn reads need more: per key, a
// transaction applied at two points (one key now, the other an entry later)
// still looks like a register. So a read transaction's two values are
// compared: every write to a pair sets both keys at one point, so in every
// state of a correct store both keys hold the same transaction's values (or
// both are absent), and a read transaction, which reads both at one point,
// must see one transaction's pair. A read that sees one transaction's write
// on one key and not on the other proves the writes were not atomic
// (tornPairRead). What stays unchecked: that the per-key points of one
// transaction are the same point (the search picks each key's own); a
// store that applied a pair non-atomically but was never caught between the
// two halves by a read transaction goes unnoticed, which is the usual limit
// of testing by observation.

import type { RegisterValue } from './history.js';

/** The value a transaction `txId` writes to `key`: the key names it, the id ties it to its pair. */
export function txValue(key: string, txId: string): string {
  return `${key}=${txId}`;
}

/** The transaction that wrote `value` to `key` (null: absent, or a value not written by txValue). */
export function txIdOf(key: string, value: RegisterValue): string | null {
  const prefix = `${key}=`;
  return value !== null && value.startsWith(prefix) ? value.slice(prefix.length) : null;
}

/**
 * Why a read transaction's values of a key pair cannot come from one point
 * of a correct store, or null when they can: both absent, or both written by
 * the same transaction.
 */
export function tornPairRead(keys: readonly [string, string], values: readonly [RegisterValue, RegisterValue]): string | null {
  const ids = [txIdOf(keys[0], values[0]), txIdOf(keys[1], values[1])] as const;
  if (values[0] === null && values[1] === null) return null;
  if (ids[0] !== null && ids[0] === ids[1]) return null;
  const seen = (i: 0 | 1): string => (values[i] === null ? `${keys[i]} absent` : `${keys[i]} = ${JSON.stringify(values[i])}`);
  return `read ${seen(0)} and ${seen(1)} in one transaction, but every write sets both keys in one transaction (a torn, non-atomic write)`;
}
