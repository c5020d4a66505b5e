// Prepares one key's operations for the search: drops what cannot matter
// and marks what may be left out. Checking per key is sound because a
// history is linearizable iff each key's sub-history is (registers are
// independent objects: P-compositionality).

import type { Operation } from './history.js';
import { ObservedValues, writtenValue } from './observation.js';

export interface SearchOp {
  op: Operation;
  /**
   * May take effect at any point after its invoke, or never: an `info`
   * operation, or one still open at a cut. Its return is at +infinity.
   */
  optional: boolean;
}

/** Every key's operations, keys in order of first invoke. */
export function partitionByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, list = []);
    list.push(op);
  }
  return byKey;
}

/**
 * The operations the search must place, as of event position `cutIndex`
 * (everything after it unseen; operations open at it become optional).
 * - `fail`: certainly had no effect — dropped.
 * - optional read: constrains nothing — dropped.
 * - optional writer whose value no operation could have observed: dropped.
 *   Leaving such a writer out preserves any linearization of the rest (the
 *   operation after it in that order ignores the register's value), and an
 *   optional op may be left out anyway, so the verdict is unchanged. This
 *   matters: each optional op left in multiplies the search space.
 */
export function searchOpsFor(ops: readonly Operation[], cutIndex = Infinity): SearchOp[] {
  let kept: SearchOp[] = [];
  for (const op of ops) {
    if (op.type === 'fail' || op.invokeIndex > cutIndex) continue;
    const completed = op.type === 'ok' && op.returnIndex !== null && op.returnIndex <= cutIndex;
    if (!completed && op.f === 'read') continue;
    kept.push({ op, optional: !completed });
  }
  // Dropping a cas also drops its observation of `expected`, which may free
  // another writer: repeat, a bounded number of times (keeping an op is
  // always sound, dropping it only saves search).
  for (let pass = 0; pass < DROP_PASSES_MAX; pass++) {
    const observed = new ObservedValues();
    for (const s of kept) observed.add(s.op);
    const next = kept.filter((s) => !s.optional || isObservedWriter(s.op, observed));
    if (next.length === kept.length) break;
    kept = next;
  }
  return kept;
}

/** Passes of unobserved-writer dropping: chains of info cas longer than this are rare, and each pass costs a scan of the key's ops. */
export const DROP_PASSES_MAX = 8;

function isObservedWriter(op: Operation, observed: ObservedValues): boolean {
  const value = writtenValue(op);
  return value === undefined || observed.isObserved(value);
}
