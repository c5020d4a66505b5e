// What can go wrong in a simulated run, and the process exit code for each.
// When several checks fail, the exit code is the first failure in
// FAILURE_PRIORITY order (the most fundamental problem).

export const FAILURE_KINDS = [
  'core-error', 'corruption', 'consensus', 'lost-write', 'linearizability', 'watch', 'expiry', 'liveness', 'inconclusive',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export const EXIT_PASS = 0;
/** Bad command line. */
export const EXIT_USAGE = 2;

export const EXIT_CODES: Readonly<Record<FailureKind, number>> = Object.freeze({
  /** The history is not linearizable (a violation during the run, not only at the final read-back). */
  'linearizability': 3,
  /** A Raft invariant broke: two leaders in a term, a commit index going back, a committed entry changed, replicas diverging. */
  'consensus': 3,
  /** An acknowledged write is missing from the final read-back. */
  'lost-write': 4,
  /** A value nobody wrote, or a malformed reply. */
  'corruption': 4,
  /** An operation after quiesce did not complete in bounded time, or requests were stuck at the end. */
  'liveness': 5,
  /** An exception or assertion failure in the core (or the simulator), or an error reply the workload cannot cause. */
  'core-error': 6,
  /** A watcher's stream differs from the committed history of its keys: a gap, a duplicate, a wrong change (watch-checker.ts). */
  'watch': 9,
  /** A key with a TTL present after it expired, gone before, or never swept. */
  'expiry': 7,
  /** The checker ran out of budget: neither pass nor fail. */
  'inconclusive': 8,
});

export const FAILURE_PRIORITY: readonly FailureKind[] = FAILURE_KINDS;

export interface Failure {
  kind: FailureKind;
  /** One line. */
  summary: string;
  /** More lines (a failing window, examples). */
  details: string[];
}

export function exitCodeFor(failures: readonly Failure[]): number {
  for (const kind of FAILURE_PRIORITY) {
    if (failures.some((f) => f.kind === kind)) return EXIT_CODES[kind];
  }
  return EXIT_PASS;
}
