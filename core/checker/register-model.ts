// The sequential specification the history is checked against: one register
// per key, starting absent (null). Values are interned to small integers per
// key so the search can keep and compare states cheaply.

import { assert, AssertionError, unreachable } from '../assert.js';
import { inInt64Range, parseDecimalInt64 } from './decimal-int64.js';
import type { Operation, RegisterValue } from './history.js';

/** How an operation changes or constrains the register (ids are interned values). */
export const STEP_READ = 0; // state must equal a
export const STEP_WRITE = 1; // state becomes a (write, delete)
export const STEP_CAS = 2; // state must equal a, becomes b
export const STEP_INCR_KNOWN = 3; // state + delta must equal the known result a
export const STEP_INCR_UNKNOWN = 4; // state + delta, result never seen (info)

/** State id of the absent register. */
export const ABSENT = 0;
/** Step result: the operation cannot take effect in this state. */
export const IMPOSSIBLE = -1;

export class RegisterModel {
  private readonly idOf = new Map<string, number>();
  private readonly valueOfId: RegisterValue[] = [null];
  /** Integer each state holds, computed lazily: undefined = not yet, null = not an integer. */
  private readonly intOfId: (bigint | null | undefined)[] = [0n];
  private readonly kind: Uint8Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly delta: bigint[];
  private readonly result: bigint[];

  /** Compiles `ops` (indices in the search refer to positions in this array). */
  constructor(ops: readonly Operation[]) {
    const n = ops.length;
    this.kind = new Uint8Array(n);
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.delta = new Array<bigint>(n).fill(0n);
    this.result = new Array<bigint>(n).fill(0n);
    for (let i = 0; i < n; i++) this.compile(i, ops[i]!);
  }

  private compile(i: number, op: Operation): void {
    switch (op.f) {
      case 'read':
        this.kind[i] = STEP_READ;
        this.a[i] = this.intern(op.value as RegisterValue);
        return;
      case 'write':
        this.kind[i] = STEP_WRITE;
        this.a[i] = this.intern(op.value as string);
        return;
      case 'delete':
        this.kind[i] = STEP_WRITE;
        this.a[i] = ABSENT;
        return;
      case 'cas': {
        const [expected, next] = op.value as readonly [RegisterValue, RegisterValue];
        this.kind[i] = STEP_CAS;
        this.a[i] = this.intern(expected);
        this.b[i] = this.intern(next);
        return;
      }
      case 'incr': {
        const delta = parseDecimalInt64(op.delta ?? null);
        assert(delta !== null && op.delta !== undefined, 'incr without a valid delta');
        this.delta[i] = delta;
        if (op.type === 'ok') {
          const result = parseDecimalInt64(op.value as string);
          assert(result !== null, 'incr ok without a valid result');
          this.kind[i] = STEP_INCR_KNOWN;
          this.a[i] = this.intern(op.value as string);
          this.result[i] = result;
        } else {
          this.kind[i] = STEP_INCR_UNKNOWN;
        }
        return;
      }
      default:
        unreachable(op.f, 'op function');
    }
  }

  intern(value: RegisterValue): number {
    if (value === null) return ABSENT;
    let id = this.idOf.get(value);
    if (id === undefined) {
      id = this.valueOfId.length;
      this.idOf.set(value, id);
      this.valueOfId.push(value);
    }
    return id;
  }

  /** Ops with equal keys have the same effect in every state (interchangeable if both may be placed). */
  effectKey(i: number): string {
    return `${this.kind[i]}:${this.a[i]}:${this.b[i]}:${this.delta[i]}`;
  }

  /** Whether op `i` ignores the register's value (write, delete). */
  isBlind(i: number): boolean {
    return this.kind[i] === STEP_WRITE;
  }

  /** Whether op `i` may change the register (anything but a read). */
  isWriter(i: number): boolean {
    return this.kind[i] !== STEP_READ;
  }

  valueOf(state: number): RegisterValue {
    return this.valueOfId[state]!;
  }

  private intOf(state: number): bigint | null {
    let v = this.intOfId[state];
    if (v === undefined) {
      v = parseDecimalInt64(this.valueOfId[state]!);
      this.intOfId[state] = v;
    }
    return v;
  }

  /** The state after op `i` takes effect in `state`, or IMPOSSIBLE. */
  step(i: number, state: number): number {
    switch (this.kind[i]) {
      case STEP_READ:
        return state === this.a[i] ? state : IMPOSSIBLE;
      case STEP_WRITE:
        return this.a[i]!;
      case STEP_CAS:
        return state === this.a[i] ? this.b[i]! : IMPOSSIBLE;
      case STEP_INCR_KNOWN: {
        const current = this.intOf(state);
        return current !== null && current + this.delta[i]! === this.result[i] ? this.a[i]! : IMPOSSIBLE;
      }
      case STEP_INCR_UNKNOWN: {
        const current = this.intOf(state);
        if (current === null) return IMPOSSIBLE;
        const next = current + this.delta[i]!;
        // An overflowing INCR fails and changes nothing: the same as leaving the op out.
        return inInt64Range(next) ? this.intern(next.toString()) : IMPOSSIBLE;
      }
      default:
        throw new AssertionError(`bad step kind ${this.kind[i]}`);
    }
  }
}
