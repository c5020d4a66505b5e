// An input of ZUNION / ZINTER / ZDIFF (and their STORE forms, ZINTERCARD) as
// those commands read it: a sorted set, or a plain set whose every member
// scores 1 (Redis's zuiInit reads sets so: "sets are treated as sorted sets
// with score 1"), whichever of the set's encodings (intset, listpack, hash
// set) it is stored in. Any other type is WRONGTYPE.

import type { Bytes, ErrReply } from '../../protocol/ops.js';
import { ValueType } from '../../store/value-type.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { readSet } from '../set/set-forms.js';
import type { SetMembers } from '../set/set-members.js';
import { wrongKind } from '../wrong-kind.js';
import { readZSet } from './zset-keys.js';
import type { SortedSet } from './sorted-set.js';

/** The score every member of a plain set has as an input (Redis's). */
export const SET_MEMBER_SCORE = 1;

export interface ScoredInput {
  readonly size: number;
  /** The member's score, or undefined when it is not in the input. */
  scoreOf(member: Bytes): number | undefined;
  /** Every member with its score (in the input's own order); `fn` returning false stops early. Members are views: copy what you keep past a write. */
  forEachScored(fn: (member: Bytes, score: number) => boolean | void): void;
}

class SortedInput implements ScoredInput {
  constructor(private readonly z: SortedSet) {}
  get size(): number { return this.z.size; }
  scoreOf(member: Bytes): number | undefined { return this.z.scoreOf(member); }
  forEachScored(fn: (member: Bytes, score: number) => boolean | void): void {
    if (this.z.size > 0) this.z.each(0, this.z.size - 1, false, fn);
  }
}

class SetInput implements ScoredInput {
  constructor(private readonly set: SetMembers) {}
  get size(): number { return this.set.size; }
  scoreOf(member: Bytes): number | undefined { return this.set.has(member) ? SET_MEMBER_SCORE : undefined; }
  forEachScored(fn: (member: Bytes, score: number) => boolean | void): void {
    // A set's walk cannot stop early: skip the rest instead. Members are copied:
    // a STORE may write over the set it read (ZUNIONSTORE s 1 s).
    let stopped = false;
    this.set.forEach((m) => {
      if (!stopped) stopped = fn(m.slice(), SET_MEMBER_SCORE) === false;
    });
  }
}

/** The input at `key`: null when absent; WRONGTYPE unless a sorted set or a set. */
export function readScoredInput(keys: KeyAccess, key: Bytes): ScoredInput | null | ErrReply {
  const h = keys.find(key);
  if (h === ABSENT) return null;
  const type = keys.typeOf(h);
  if (type === ValueType.SET) {
    const stored = readSet(keys, key);
    return stored === null || 'ok' in stored ? stored : new SetInput(stored.set);
  }
  if (type !== ValueType.ZSET) return wrongKind();
  const z = readZSet(keys, key);
  return z === null || 'ok' in z ? z : new SortedInput(z);
}
