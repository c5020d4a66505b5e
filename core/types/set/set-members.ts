// What every form of a set offers the commands: the compact forms' readers
// and editor (set-forms.ts) and the large hash set (large-set.ts), so a
// command is written once for all three.

import type { Random } from '../../random.js';

export interface SetMembers {
  readonly size: number;
  has(member: Uint8Array): boolean;
  /** Each member once, in the form's own order; a member is a view valid until the next change: copy what you keep. */
  forEach(fn: (member: Uint8Array) => void): void;
  /** A member drawn at random (the set is not empty); a view as in forEach. */
  randomMember(random: Random): Uint8Array;
}

export interface MutableSetMembers extends SetMembers {
  /** Whether it was new. */
  add(member: Uint8Array): boolean;
  /** Whether it was there. */
  remove(member: Uint8Array): boolean;
}

/** Every member, copied. */
export function membersOf(set: SetMembers): Uint8Array[] {
  const out: Uint8Array[] = [];
  set.forEach((m) => out.push(m.slice()));
  return out;
}
