// The checker's entry point: is a history of register operations
// linearizable? Each key is checked on its own (smallest first, so a cheap
// violation is found before an expensive key eats the budget); the first
// violation is shrunk to a short window for the report.

import { assert, unreachable } from '../assert.js';
import { DEFAULT_WINDOW_STEPS_MAX, findFailingWindow } from './failing-window.js';
import type { Operation } from './history.js';
import { partitionByKey, searchOpsFor, type SearchOp } from './key-history.js';
import { searchLinearization } from './search.js';
import { DEFAULT_STEPS_MAX, SearchBudget, type BudgetExhausted } from './search-budget.js';

export interface CheckOptions {
  /** Search steps allowed for the verdict (default DEFAULT_STEPS_MAX). */
  stepsMax?: number;
  /** Search steps allowed for shrinking the failing window (default DEFAULT_WINDOW_STEPS_MAX). */
  windowStepsMax?: number;
  /** Called every few thousand steps; true means stop (the caller owns the clock). */
  deadline?: () => boolean;
}

export type CheckResult =
  | { linearizable: true; steps: number }
  /** `window`: a non-linearizable subset of `key`'s operations, in invoke order. */
  | { linearizable: false; key: string; window: Operation[]; steps: number }
  /** The budget ran out while checking `key`: the history may or may not be linearizable. */
  | { linearizable: null; reason: string; exhausted: BudgetExhausted; key: string; steps: number };

export function checkHistory(ops: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const stepsMax = options.stepsMax ?? DEFAULT_STEPS_MAX;
  const windowStepsMax = options.windowStepsMax ?? DEFAULT_WINDOW_STEPS_MAX;
  assert(Number.isSafeInteger(stepsMax) && stepsMax >= 0, 'stepsMax must be a non-negative integer');
  assert(Number.isSafeInteger(windowStepsMax) && windowStepsMax >= 0, 'windowStepsMax must be a non-negative integer');
  const budget = new SearchBudget(stepsMax, options.deadline);

  const keys: { key: string; ops: Operation[]; searchOps: SearchOp[] }[] = [];
  for (const [key, keyOps] of partitionByKey(ops)) keys.push({ key, ops: keyOps, searchOps: searchOpsFor(keyOps) });
  // Stable sort: equal sizes stay in order of first invoke, so the order is deterministic.
  keys.sort((a, b) => a.searchOps.length - b.searchOps.length);

  for (const { key, ops: keyOps, searchOps } of keys) {
    const verdict = searchLinearization(searchOps, budget);
    switch (verdict) {
      case 'linearizable':
        continue;
      case 'not-linearizable': {
        const steps = budget.stepsUsed;
        const window = findFailingWindow(keyOps, new SearchBudget(windowStepsMax, options.deadline));
        return { linearizable: false, key, window, steps };
      }
      case 'unknown': {
        const exhausted = budget.exhausted!;
        return { linearizable: null, reason: describeExhausted(exhausted, stepsMax, key), exhausted, key, steps: budget.stepsUsed };
      }
      default:
        unreachable(verdict, 'verdict');
    }
  }
  return { linearizable: true, steps: budget.stepsUsed };
}

function describeExhausted(exhausted: BudgetExhausted, stepsMax: number, key: string): string {
  const where = `while checking key ${JSON.stringify(key)}`;
  switch (exhausted) {
    case 'steps': return `step budget exhausted (${stepsMax} steps) ${where}`;
    case 'deadline': return `deadline passed ${where}`;
    case 'memory': return `search memo full ${where}`;
    default: return unreachable(exhausted, 'budget');
  }
}
