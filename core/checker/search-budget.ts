// How much searching a check may do. Counted in search steps so the outcome
// is the same on every machine and in the simulator; an optional deadline
// callback lets a caller that owns a clock add a wall-clock bound.

/**
 * Default step budget. One step is one look at one history entry (about
 * 0.1-0.3 µs), so this is a few seconds of search at worst: 20-100 times what
 * a linearizable history of 10,000 operations needs, small enough that a
 * pathological history gives up rather than hangs.
 */
export const DEFAULT_STEPS_MAX = 20_000_000;

/** Steps between deadline calls: the clock is read rarely enough to cost nothing, often enough (well under 1 ms) to stop promptly. */
export const DEADLINE_CHECK_INTERVAL_STEPS = 4096;

export type BudgetExhausted = 'steps' | 'deadline' | 'memory';

export class SearchBudget {
  private stepsLeft: number;
  private untilDeadlineCheck = DEADLINE_CHECK_INTERVAL_STEPS;
  stepsUsed = 0;
  exhausted: BudgetExhausted | null = null;

  constructor(stepsMax: number, private readonly deadline?: () => boolean) {
    this.stepsLeft = stepsMax;
  }

  /** Takes one step; false once the budget is gone (and stays false). */
  spend(): boolean {
    if (this.exhausted !== null) return false;
    if (this.stepsLeft <= 0) {
      this.exhausted = 'steps';
      return false;
    }
    if (--this.untilDeadlineCheck <= 0) {
      this.untilDeadlineCheck = DEADLINE_CHECK_INTERVAL_STEPS;
      if (this.deadlinePassed()) return false;
    }
    this.stepsLeft--;
    this.stepsUsed++;
    return true;
  }

  /** Checks the deadline now (between searches, where a step may not come soon). */
  deadlinePassed(): boolean {
    if (this.deadline !== undefined && this.deadline()) this.exhausted ??= 'deadline';
    return this.exhausted === 'deadline';
  }

  /** A search ran out of memory for its cache. */
  exhaustMemory(): void {
    this.exhausted ??= 'memory';
  }
}
