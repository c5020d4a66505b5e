// Which operations could have observed which register values. The checker
// uses this to prove that leaving a writer out cannot change a verdict: if
// nothing left could have observed its value, any linearization with it
// stays valid without it (the op after it ignores the register's value).

import { unreachable } from '../assert.js';
import { parseDecimalInt64 } from './decimal-int64.js';
import type { Operation, RegisterValue } from './history.js';

/** The new value of an info incr, which nobody saw: some integer. */
export const UNKNOWN_VALUE = Symbol('unknown value');

/**
 * The value an operation leaves in the register if it takes effect;
 * undefined for reads, which leave it unchanged.
 */
export function writtenValue(op: Operation): RegisterValue | typeof UNKNOWN_VALUE | undefined {
  switch (op.f) {
    case 'read': return undefined;
    case 'write': return op.value as string;
    case 'delete': return null;
    case 'cas': return (op.value as readonly [RegisterValue, RegisterValue])[1];
    case 'incr': return op.type === 'ok' ? op.value as string : UNKNOWN_VALUE;
    default: return unreachable(op.f, 'op function');
  }
}

/**
 * The register values in which `op` can take effect, if it cares: a read
 * that returned, a cas (its expected value), an incr (with a known result,
 * exactly the state it applied to; without one, any integer). Undefined for
 * blind writes and for reads that returned nothing.
 */
export function valuesObservedBy(op: Operation): { values: RegisterValue[]; anyInteger: boolean } | undefined {
  switch (op.f) {
    case 'read':
      return op.type === 'ok' ? { values: [op.value as RegisterValue], anyInteger: false } : undefined;
    case 'cas':
      return { values: [(op.value as readonly [RegisterValue, RegisterValue])[0]], anyInteger: false };
    case 'incr': {
      if (op.type !== 'ok') return { values: [], anyInteger: true };
      const before = parseDecimalInt64(op.value as string)! - parseDecimalInt64(op.delta!)!;
      // Absent counts as 0, so a base of 0 may have been either.
      return { values: before === 0n ? ['0', null] : [before.toString()], anyInteger: false };
    }
    case 'write': case 'delete':
      return undefined;
    default:
      return unreachable(op.f, 'op function');
  }
}

export function isIntegerValue(value: RegisterValue): boolean {
  return value !== null && parseDecimalInt64(value) !== null;
}

/**
 * Counts which register values the operations added could have observed.
 * Used to prove a writer's value was never observed, so leaving the writer
 * out cannot change whether the rest is linearizable.
 */
export class ObservedValues {
  private readonly counts = new Map<RegisterValue, number>();
  /** Ops that may have observed any integer (info incrs). */
  private anyIntegerObservers = 0;
  /** Observations of particular integers: what an info incr, whose result nobody saw, might have written. */
  private integerObservations = 0;

  add(op: Operation, sign: 1 | -1 = 1): void {
    const observed = valuesObservedBy(op);
    if (observed === undefined) return;
    if (observed.anyInteger) this.anyIntegerObservers += sign;
    for (const value of observed.values) {
      if (isIntegerValue(value)) this.integerObservations += sign;
      const next = (this.counts.get(value) ?? 0) + sign;
      if (next === 0) this.counts.delete(value);
      else this.counts.set(value, next);
    }
  }

  isObserved(value: RegisterValue | typeof UNKNOWN_VALUE): boolean {
    if (value === UNKNOWN_VALUE) return this.anyIntegerObservers > 0 || this.integerObservations > 0;
    if ((this.counts.get(value) ?? 0) > 0) return true;
    // Absent counts as 0 for incr.
    return this.anyIntegerObservers > 0 && parseDecimalInt64(value) !== null;
  }
}

/**
 * Indexes items (ops, or search indices of ops) by the values their ops
 * observe, to find who could have observed a given writer's value.
 */
export class ObserverIndex<T> {
  private readonly byValue = new Map<RegisterValue, T[]>();
  /** Observers of any integer (info incrs). */
  private readonly ofAnyInteger: T[] = [];
  /** Observers of some integer: who may have seen what an info incr wrote. */
  private readonly ofSomeInteger: T[] = [];

  constructor(items: readonly T[], opOf: (item: T) => Operation) {
    for (const item of items) {
      const observed = valuesObservedBy(opOf(item));
      if (observed === undefined) continue;
      if (observed.anyInteger) this.ofAnyInteger.push(item);
      if (observed.anyInteger || observed.values.some(isIntegerValue)) this.ofSomeInteger.push(item);
      for (const value of observed.values) {
        let list = this.byValue.get(value);
        if (list === undefined) this.byValue.set(value, list = []);
        list.push(item);
      }
    }
  }

  /** Lists (possibly overlapping) that together hold every observer of `written`. */
  observersOf(written: RegisterValue | typeof UNKNOWN_VALUE): readonly (readonly T[])[] {
    if (written === UNKNOWN_VALUE) return [this.ofSomeInteger];
    const exact = this.byValue.get(written) ?? [];
    // Absent counts as 0 for incr, so every value INCR accepts is seen by an info incr.
    return parseDecimalInt64(written) !== null ? [exact, this.ofAnyInteger] : [exact];
  }
}
