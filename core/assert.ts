// Assertions are for bugs, not for expected conditions: a failed assertion
// means an invariant of ours is broken. They stay on in production because a
// state machine that carries on after a broken invariant corrupts data.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/**
 * Throws when `condition` is false. On hot paths pass the message as a
 * function, so that a template string is built only when the check fails.
 */
export function assert(condition: unknown, message: string | (() => string) = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'function' ? message() : message);
}

/** Exhaustiveness check for `switch` over a union: unreachable if types hold. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unreachable ${what}: ${JSON.stringify(value)}`);
}
