// Wing & Gong's linearizability search with Lowe's memo, as Porcupine does
// it. Call and return entries sit in one doubly linked list in history
// order. Scanning from the head, a call whose operation can take effect in
// the current state is "lifted" (its call and return unlinked) and the scan
// restarts; reaching a return means that operation can no longer be placed
// after everything linearized so far, so the last lift is undone
// (backtracking). The memo of configurations already explored prunes the
// rest, which keeps typical histories near-linear.
//
// Optional (info) ops may take effect anywhere after their invoke, or never,
// so each is a choice that stays open to the end: k of them can make 2^k
// configurations. Three rules cut that down. Each only skips placements
// that some other linearization makes unnecessary, so no verdict changes
// (any linearization can be rewritten into one obeying all three: drop the
// useless placements, then swap interchangeable ops into invoke order):
// 1. An optional op that would leave the state unchanged is not placed:
//    leaving it unplaced keeps it available, which is never worse.
// 2. An optional writer is only placed where the next op placed observes the
//    register (not a blind write or delete, which would erase its effect),
//    so it is not placed at all unless such an op is in the window.
// 3. Optional ops with the same effect (e.g. two info deletes) are placed in
//    invoke order: which of them took effect does not matter.
// And the memo (visited-states.ts) treats a configuration with a superset of
// the optional ops placed as already covered.

import { assert } from '../assert.js';
import type { SearchOp } from './key-history.js';
import type { RegisterValue } from './history.js';
import { ObserverIndex, UNKNOWN_VALUE, writtenValue } from './observation.js';
import { ABSENT, IMPOSSIBLE, RegisterModel } from './register-model.js';
import type { SearchBudget } from './search-budget.js';
import { mix32, VisitedStates } from './visited-states.js';

export type SearchVerdict = 'linearizable' | 'not-linearizable' | 'unknown';

const HEAD = 0;
const NONE = -1;

/** Observers looked at before the rule 2 precheck gives up and allows the placement (keeps each step O(1)). */
const OBSERVER_LOOK_MAX = 8;

/**
 * For each optional writer (others get an empty list), the ops that could
 * take effect right after it: those observing its value. Sorted by invoke.
 */
function observerLists(ops: readonly SearchOp[], optionalWriter: Uint8Array): Int32Array[] {
  const index = new ObserverIndex(ops.map((_, i) => i), (i) => ops[i]!.op);
  const cache = new Map<RegisterValue | typeof UNKNOWN_VALUE, Int32Array>();
  const empty = new Int32Array(0);
  return ops.map((s, i) => {
    if (optionalWriter[i] === 0) return empty;
    const written = writtenValue(s.op)!;
    let list = cache.get(written);
    if (list === undefined) {
      list = Int32Array.from(new Set(index.observersOf(written).flat()))
        .sort((a, b) => ops[a]!.op.invokeIndex - ops[b]!.op.invokeIndex);
      cache.set(written, list);
    }
    return list;
  });
}

/** Checks one key's operations; 'unknown' when `budget` ran out (see budget.exhausted). */
export function searchLinearization(unordered: readonly SearchOp[], budget: SearchBudget): SearchVerdict {
  // Required ops first, in history order, then optional ones: this numbering
  // keeps the memo's run-length encoded sets short (see visited-states.ts).
  const ops = [...unordered].sort((x, y) => Number(x.optional) - Number(y.optional) || x.op.invokeIndex - y.op.invokeIndex);
  const n = ops.length;
  let requiredLeft = 0;
  for (const s of ops) if (!s.optional) requiredLeft++;
  if (requiredLeft === 0) return 'linearizable';
  const requiredCount = requiredLeft;

  const model = new RegisterModel(ops.map((s) => s.op));
  const optional = new Uint8Array(n);
  const blind = new Uint8Array(n);
  const optionalWriter = new Uint8Array(n);
  /** Rule 3: the optional op with the same effect invoked just before, which must be placed first; NONE if none. */
  const placeAfter = new Int32Array(n).fill(NONE);
  const lastOfEffect = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    optional[i] = ops[i]!.optional ? 1 : 0;
    blind[i] = model.isBlind(i) ? 1 : 0;
    optionalWriter[i] = optional[i] === 1 && model.isWriter(i) ? 1 : 0;
    if (optional[i] === 1) {
      const effect = model.effectKey(i);
      placeAfter[i] = lastOfEffect.get(effect) ?? NONE;
      lastOfEffect.set(effect, i);
    }
  }

  // Rule 2 precheck: who could observe each optional writer's value, sorted
  // by invoke. Placing the writer is pointless unless one of them is in the
  // window now (invoked, not yet linearized).
  const observersOfWriter = observerLists(ops, optionalWriter);

  // Nodes: 0 = head, then one call and one return per op, in history order.
  // Optional ops return at +infinity: after every real entry.
  const order: { position: number; op: number; isCall: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    const s = ops[i]!;
    order.push({ position: s.op.invokeIndex, op: i, isCall: true });
    order.push({ position: s.optional ? Infinity : s.op.returnIndex!, op: i, isCall: false });
  }
  order.sort((x, y) => (x.position - y.position) || (x.op - y.op) || (x.isCall ? -1 : 1));
  const nodes = 2 * n + 1;
  const next = new Int32Array(nodes);
  const prev = new Int32Array(nodes);
  const opOfNode = new Int32Array(nodes);
  const matchOfCall = new Int32Array(nodes).fill(NONE); // NONE for return nodes
  const callNodeOfOp = new Int32Array(n);
  for (let k = 0; k < order.length; k++) {
    const node = k + 1;
    const e = order[k]!;
    opOfNode[node] = e.op;
    if (e.isCall) callNodeOfOp[e.op] = node;
    else matchOfCall[callNodeOfOp[e.op]!] = node;
    prev[node] = node - 1;
    next[node] = node + 1 < nodes ? node + 1 : NONE;
  }
  next[HEAD] = nodes > 1 ? 1 : NONE;
  prev[HEAD] = NONE;

  const lift = (call: number): void => {
    next[prev[call]!] = next[call]!;
    prev[next[call]!] = prev[call]!; // a call always has its return after it
    const ret = matchOfCall[call]!;
    next[prev[ret]!] = next[ret]!;
    if (next[ret] !== NONE) prev[next[ret]!] = prev[ret]!;
  };
  const unlift = (call: number): void => {
    const ret = matchOfCall[call]!;
    next[prev[ret]!] = ret;
    if (next[ret] !== NONE) prev[next[ret]!] = ret;
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  };

  // The linearized set: required ops' bits, then optional ops' from the next
  // word on (the memo treats the two parts differently). The required part
  // is hashed Zobrist-style: the xor of its members' codes, so adding or
  // removing one op updates the hash in O(1).
  const requiredWords = Math.ceil(requiredCount / 32);
  const optionalWords = Math.ceil((n - requiredCount) / 32);
  const bitOf = new Int32Array(n);
  const code = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    bitOf[i] = i < requiredCount ? i : requiredWords * 32 + (i - requiredCount);
    code[i] = i < requiredCount ? mix32(Math.imul(i + 1, 0x9e3779b1)) : 0;
  }
  const linearized = new Uint32Array(requiredWords + optionalWords);
  const isLinearized = (i: number): boolean => (linearized[bitOf[i]! >>> 5]! & (1 << (bitOf[i]! & 31))) !== 0;
  let setHash = 0;
  const visited = new VisitedStates(requiredWords, optionalWords);

  // The search path: for each lifted call, what to restore on backtracking.
  const stackCall = new Int32Array(n);
  const stackState = new Int32Array(n);
  const stackMustObserve = new Uint8Array(n);
  let depth = 0;
  let state = ABSENT;
  /** Rule 2: 1 right after an optional writer, when the next op placed must not be blind. */
  let mustObserve = 0;
  let node = next[HEAD]!;
  /** The first return node in the list: ops invoked before it are the ones that may go next. */
  let firstReturn = node;
  while (firstReturn !== NONE && matchOfCall[firstReturn] !== NONE) firstReturn = next[firstReturn]!;
  const stackFirstReturn = new Int32Array(n);
  const windowEnd = (): number => (firstReturn === NONE ? Infinity : order[firstReturn - 1]!.position);
  /** Whether some op in `list` (sorted by invoke) other than `self` is invoked before `end` and not yet linearized. */
  const hasObserverBefore = (list: Int32Array, self: number, end: number): boolean => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ops[list[mid]!]!.op.invokeIndex < end) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1, looked = 0; k >= 0; k--, looked++) {
      if (looked === OBSERVER_LOOK_MAX) return true; // unsure: allow
      const o = list[k]!;
      if (o !== self && !isLinearized(o)) return true;
    }
    return false;
  };

  for (;;) {
    if (!budget.spend()) return 'unknown';
    assert(node !== NONE, 'search ran past the last entry');
    const ret = matchOfCall[node]!;
    if (ret !== NONE) {
      const op = opOfNode[node]!;
      let after = mustObserve === 1 && blind[op] === 1 ? IMPOSSIBLE : model.step(op, state);
      if (optional[op] === 1 && after !== IMPOSSIBLE && (after === state
        || (placeAfter[op] !== NONE && !isLinearized(placeAfter[op]!))
        || (optionalWriter[op] === 1 && !hasObserverBefore(observersOfWriter[op]!, op, windowEnd())))) {
        after = IMPOSSIBLE; // rules 1, 3 and 2
      }
      if (after !== IMPOSSIBLE) {
        const bit = bitOf[op]!;
        linearized[bit >>> 5] |= 1 << (bit & 31);
        setHash ^= code[op]!;
        const added = visited.add(linearized, setHash, after, optionalWriter[op]!);
        if (added === 'added') {
          stackCall[depth] = node;
          stackState[depth] = state;
          stackMustObserve[depth] = mustObserve;
          stackFirstReturn[depth] = firstReturn;
          depth++;
          state = after;
          mustObserve = optionalWriter[op]!;
          lift(node);
          if (ret === firstReturn) {
            firstReturn = next[ret]!;
            while (firstReturn !== NONE && matchOfCall[firstReturn] !== NONE) firstReturn = next[firstReturn]!;
          }
          if (optional[op] === 0 && --requiredLeft === 0) return 'linearizable';
          node = next[HEAD]!;
          continue;
        }
        linearized[bit >>> 5] &= ~(1 << (bit & 31));
        setHash ^= code[op]!;
        if (added === 'full') {
          budget.exhaustMemory();
          return 'unknown';
        }
      }
      node = next[node]!;
      continue;
    }
    // A return: its op cannot go after the current prefix. Optional ops
    // return after every required one, so reaching one would mean nothing
    // required is left, which already returned above.
    assert(optional[opOfNode[node]!] === 0, 'reached an optional return with required ops left');
    if (depth === 0) return 'not-linearizable';
    depth--;
    node = stackCall[depth]!;
    state = stackState[depth]!;
    mustObserve = stackMustObserve[depth]!;
    firstReturn = stackFirstReturn[depth]!;
    const op = opOfNode[node]!;
    const bit = bitOf[op]!;
    linearized[bit >>> 5] &= ~(1 << (bit & 31));
    setHash ^= code[op]!;
    unlift(node);
    if (optional[op] === 0) requiredLeft++;
    node = next[node]!;
  }
}
