// Generates histories that are linearizable by construction: a register
// model is driven by a choice source; every operation takes effect at one
// instant between its invoke and its completion (or, for info/unfinished
// ones, at any instant after its invoke, or never). The effect order is the
// linearization.

import type { EventValue, HistoryEvent, OpFunction, RegisterValue } from '../../core/checker/index.js';

/** Integers in [0, n) from some source; `exhausted` ends the simulation. */
export interface Choices {
  next(n: number): number;
  readonly exhausted: boolean;
}

/** Choices from a fast-check array: ends when the array does. */
export class ArrayChoices implements Choices {
  private i = 0;
  constructor(private readonly values: readonly number[]) {}
  get exhausted(): boolean { return this.i >= this.values.length; }
  next(n: number): number {
    return this.i < this.values.length ? this.values[this.i++]! % n : 0;
  }
}

/** Seeded choices (mulberry32) for large histories; ends after `count` calls. */
export class SeededChoices implements Choices {
  private calls = 0;
  constructor(private seed: number, private readonly count: number) {}
  get exhausted(): boolean { return this.calls >= this.count; }
  next(n: number): number {
    this.calls++;
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  }
}

export interface SimulationOptions {
  processes: number;
  keys: number;
  /** Stop after this many completed-or-abandoned operations (default: when choices run out). */
  opsMax?: number;
  /** Percent of operations that end in fail or info (default 15: a very faulty run). */
  faultPercent?: number;
}

interface PendingOp {
  f: OpFunction;
  key: string;
  invokeValue: EventValue;
  /** undefined: not taken effect yet. */
  effect?: { applied: boolean; result: RegisterValue };
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function asInt(v: RegisterValue): bigint | null {
  if (v === null) return 0n;
  return /^(0|-?[1-9][0-9]{0,18})$/.test(v) && BigInt(v) >= INT64_MIN && BigInt(v) <= INT64_MAX ? BigInt(v) : null;
}

export function simulateHistory(choices: Choices, options: SimulationOptions): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const register = new Map<string, RegisterValue>();
  const pending = new Map<number, PendingOp>();
  let ghosts: PendingOp[] = [];
  let time = 0;
  let unique = 0;
  let ops = 0;

  const emit = (process: number, type: HistoryEvent['type'], op: PendingOp, value: EventValue): void => {
    time += choices.next(3); // 0: equal times happen
    events.push({ process, type, f: op.f, key: op.key, value, time });
  };
  const takeEffect = (op: PendingOp): void => {
    const current = register.get(op.key) ?? null;
    switch (op.f) {
      case 'read': op.effect = { applied: true, result: current }; return;
      case 'write': register.set(op.key, op.invokeValue as string); op.effect = { applied: true, result: null }; return;
      case 'delete': register.set(op.key, null); op.effect = { applied: true, result: null }; return;
      case 'cas': {
        const [expected, next] = op.invokeValue as [RegisterValue, RegisterValue];
        const applied = current === expected;
        if (applied) register.set(op.key, next);
        op.effect = { applied, result: null };
        return;
      }
      case 'incr': {
        const base = asInt(current);
        const sum = base === null ? null : base + BigInt(op.invokeValue as string);
        const applied = sum !== null && sum >= INT64_MIN && sum <= INT64_MAX;
        if (applied) register.set(op.key, sum.toString());
        op.effect = { applied, result: applied ? sum.toString() : null };
        return;
      }
    }
  };
  const completionValue = (op: PendingOp, type: 'ok' | 'fail' | 'info'): EventValue => {
    if (op.f === 'read') return type === 'ok' ? op.effect!.result : null;
    if (op.f === 'incr') return type === 'ok' ? op.effect!.result : null;
    return op.invokeValue;
  };
  const newOp = (): PendingOp => {
    const key = `k${choices.next(options.keys)}`;
    const current = register.get(key) ?? null;
    const roll = choices.next(100);
    if (roll < 35) return { f: 'read', key, invokeValue: null };
    if (roll < 60) {
      // Mostly unique non-numeric values; some small integers so incr has something to work on.
      const value = choices.next(5) === 0 ? String(choices.next(10)) : `v${unique++}`;
      return { f: 'write', key, invokeValue: value };
    }
    if (roll < 75) {
      const expected = choices.next(3) === 0 ? `v${choices.next(unique + 1)}` : current;
      return { f: 'cas', key, invokeValue: [expected, `c${unique++}`] };
    }
    if (roll < 80) return { f: 'delete', key, invokeValue: null };
    return { f: 'incr', key, invokeValue: String(choices.next(5) - 2) };
  };

  while (!choices.exhausted && (options.opsMax === undefined || ops < options.opsMax)) {
    // Now and then, a crashed (info) operation lands late or is dropped for good.
    if (ghosts.length > 0 && choices.next(10) === 0) {
      const g = choices.next(ghosts.length);
      if (choices.next(2) === 0) takeEffect(ghosts[g]!);
      ghosts = ghosts.filter((_, i) => i !== g);
      continue;
    }
    const process = choices.next(options.processes);
    const op = pending.get(process);
    if (op === undefined) {
      const fresh = newOp();
      pending.set(process, fresh);
      emit(process, 'invoke', fresh, fresh.invokeValue);
      continue;
    }
    const roll = choices.next(100);
    const faults = options.faultPercent ?? 15;
    if (op.effect === undefined) {
      if (roll >= faults) takeEffect(op);
      else if (roll < faults / 2) { // rejected before taking effect: certainly not applied
        pending.delete(process); ops++;
        emit(process, 'fail', op, completionValue(op, 'fail'));
      } else { // timed out; may still take effect later
        pending.delete(process); ops++;
        if (op.f !== 'read') ghosts.push(op);
        emit(process, 'info', op, completionValue(op, 'info'));
      }
      continue;
    }
    pending.delete(process); ops++;
    if (roll < faults / 2) emit(process, 'info', op, completionValue(op, 'info'));
    else if (!op.effect.applied) emit(process, 'fail', op, completionValue(op, 'fail'));
    else emit(process, 'ok', op, completionValue(op, 'ok'));
  }
  return events;
}
