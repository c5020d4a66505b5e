// Shrinks a non-linearizable key history to a small witness: a subset of its
// operations that is itself non-linearizable, so a reader can see the bug in
// a handful of lines. Two reductions, each of which can only keep a
// linearizable history linearizable (so a failing result still proves the
// violation):
// 1. Cut: keep only what happened up to some event; ops open at the cut
//    become optional. The shortest failing cut is found by bisection (the
//    verdict is monotone in the cut).
// 2. Remove: drop reads (they only constrain), and writers whose value no
//    remaining op could have observed (see key-history.ts), by delta
//    debugging and by observer closures, keeping a removal when the rest
//    still fails.

import type { Operation } from './history.js';
import { searchOpsFor } from './key-history.js';
import { ObservedValues, ObserverIndex, writtenValue } from './observation.js';
import { searchLinearization } from './search.js';
import type { SearchBudget } from './search-budget.js';

/**
 * Steps the window search may take beyond the verdict's own budget. It only
 * improves the report, so it is bounded separately and modestly: about a
 * second of search at worst.
 */
export const DEFAULT_WINDOW_STEPS_MAX = 5_000_000;

/** Passes to settle which ops of a chunk may go (each op kept back can make others observed); past this the chunk is skipped. */
export const REMOVABLE_PASSES_MAX = 16;

/**
 * Candidate removals considered at most. Each costs a scan of the window and
 * usually a check of it, so this bounds the work on long windows (10,000 ops:
 * well under a second) while leaving room for every single-op candidate of a
 * window of a few hundred ops at each granularity.
 */
export const SHRINK_ATTEMPTS_MAX = 5000;

/**
 * A non-linearizable subset of `ops` (all on one key, known non-linearizable),
 * in invoke order. Stops early, with a larger but still failing window, when
 * `budget` runs out.
 */
export function findFailingWindow(ops: readonly Operation[], budget: SearchBudget): Operation[] {
  const fails = (candidate: readonly Operation[], cut: number): boolean | null => {
    const verdict = searchLinearization(searchOpsFor(candidate, cut), budget);
    return verdict === 'unknown' ? null : verdict === 'not-linearizable';
  };

  // 1. Shortest failing cut. Only a completed op makes a cut stricter, so
  // cuts at ok returns are the only candidates.
  const cuts = ops.filter((op) => op.type === 'ok').map((op) => op.returnIndex!).sort((a, b) => a - b);
  let lo = 0;
  let hi = cuts.length; // cuts.length stands for "no cut", known to fail
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const verdict = fails(ops, cuts[mid]!);
    if (verdict === null) break;
    if (verdict) hi = mid;
    else lo = mid + 1;
  }
  const cut = hi < cuts.length ? cuts[hi]! : Infinity;
  const window = searchOpsFor(ops, cut).map((s) => s.op);
  if (budget.exhausted === null) shrink(window, cut, fails);
  return window.sort((a, b) => a.invokeIndex - b.invokeIndex);
}

type Fails = (candidate: readonly Operation[], cut: number) => boolean | null;

/**
 * Removes ops from `window` (in place) while the rest still fails. Two passes,
 * repeated while they make progress:
 * - delta debugging (ddmin) over chunks: at each granularity, try keeping a
 *   single chunk (the last first: violations sit at the end of the cut),
 *   which halves a long window around a local violation, then try dropping
 *   chunks one by one;
 * - closures: for each op, try removing it with everything that observed it,
 *   transitively (a cluster of incrs that all observe each other can only go
 *   together, which no chunk may capture).
 */
function shrink(window: Operation[], cut: number, fails: Fails): void {
  const observed = new ObservedValues();
  for (const op of window) observed.add(op);
  let attempts = 0;
  /** Removes what may soundly go of `candidate` if the rest still fails; null when out of budget. */
  const tryRemove = (candidate: Iterable<Operation>): boolean | null => {
    if (++attempts > SHRINK_ATTEMPTS_MAX) return null;
    const remove = removableSubset(candidate, observed);
    if (remove.size === 0 || remove.size === window.length) return false;
    const rest = window.filter((op) => !remove.has(op));
    const verdict = fails(rest, cut);
    if (verdict === true) {
      for (const op of remove) observed.add(op, -1);
      window.length = 0;
      for (const op of rest) window.push(op);
    }
    return verdict;
  };
  for (;;) {
    const before = window.length;
    if (!deltaDebug(window, tryRemove)) return;
    if (!removeClosures(window, tryRemove)) return;
    if (window.length === before) return;
  }
}

type TryRemove = (candidate: Iterable<Operation>) => boolean | null;

/** One closure pass; false when out of budget. */
function removeClosures(window: Operation[], tryRemove: TryRemove): boolean {
  const observers = new ObserverIndex(window, (op) => op);
  let present = new Set(window);
  for (const op of [...window]) {
    if (!present.has(op)) continue;
    const verdict = tryRemove(observerClosure(op, observers, present));
    if (verdict === null) return false;
    if (verdict) present = new Set(window);
  }
  return true;
}

/** `op` and every op of `present` that observed its value, transitively. */
function observerClosure(op: Operation, observers: ObserverIndex<Operation>, present: Set<Operation>): Set<Operation> {
  const closure = new Set([op]);
  const queue = [op];
  while (queue.length > 0) {
    const written = writtenValue(queue.pop()!);
    if (written === undefined) continue;
    for (const list of observers.observersOf(written)) {
      for (const other of list) {
        if (closure.has(other) || !present.has(other)) continue;
        closure.add(other);
        queue.push(other);
      }
    }
  }
  return closure;
}

/** One ddmin run; false when out of budget. */
function deltaDebug(window: Operation[], tryRemove: TryRemove): boolean {
  let chunks = 2;
  while (window.length > 1) {
    const size = Math.ceil(window.length / chunks);
    let progress = false;
    for (let start = Math.floor((window.length - 1) / size) * size; start >= 0 && !progress; start -= size) {
      const verdict = tryRemove([...window.slice(0, start), ...window.slice(start + size)]);
      if (verdict === null) return false;
      progress = verdict;
    }
    if (progress) {
      chunks = 2;
      continue;
    }
    for (let start = 0; start < window.length;) {
      const slice = window.slice(start, start + size);
      const lengthBefore = window.length;
      const verdict = tryRemove(slice);
      if (verdict === null) return false;
      if (verdict) {
        progress = true;
        // What was kept of this chunk now starts at `start`.
        start += slice.length - (lengthBefore - window.length);
      } else {
        start += size;
      }
    }
    if (progress) {
      chunks = Math.max(2, Math.ceil(window.length / size));
      continue;
    }
    if (size === 1) return true;
    chunks = Math.min(window.length, chunks * 2);
  }
  return true;
}

/**
 * The largest part of `slice` that may be removed soundly given what the
 * other ops observe: reads, and writers whose value nobody left observes.
 * `observed` covers the whole window; it is restored before returning.
 */
function removableSubset(slice: Iterable<Operation>, observed: ObservedValues): Set<Operation> {
  const removable = new Set(slice);
  for (const op of removable) observed.add(op, -1);
  for (let pass = 0; ; pass++) {
    if (pass === REMOVABLE_PASSES_MAX) {
      // Not settled: some op left in `removable` may still be observed. Removing nothing is always sound.
      for (const op of removable) observed.add(op);
      return new Set();
    }
    let changed = false;
    for (const op of removable) {
      const value = writtenValue(op);
      if (value !== undefined && observed.isObserved(value)) {
        removable.delete(op);
        observed.add(op);
        changed = true;
      }
    }
    if (!changed) break;
  }
  for (const op of removable) observed.add(op);
  return removable;
}
