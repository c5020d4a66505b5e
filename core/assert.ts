// Assertions are for bugs, not for expected conditions: a failed assertion
// means an invariant of ours is broken. They stay on in production because a
// state machine that carries on after a broken invariant corrupts data.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Exhaustiveness check for `switch` over a union: unreachable if types hold. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unreachable ${what}: ${JSON.stringify(value)}`);
}
