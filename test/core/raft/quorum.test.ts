// Majority arithmetic: quorumIndex (an insertion sort into reused scratch)
// against the plain definition, for voter sets of every size it meets.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majority, quorumIndex } from '../../../core/raft/quorum.js';

/** The definition: sort the match indexes descending, take the majority-th. */
function quorumIndexByDefinition(matches: readonly number[]): number {
  return [...matches].sort((a, b) => b - a)[majority(matches.length) - 1]!;
}

describe('quorumIndex', () => {
  it('is the highest index a majority of voters reached', () => {
    expect(quorumIndex([1, 2, 3], (id) => [0, 5, 7, 9][id]!)).toBe(7);
    expect(quorumIndex([1, 2, 3], (id) => [0, 9, 0, 0][id]!)).toBe(0);
    expect(quorumIndex([1, 2, 3, 4], (id) => [0, 4, 4, 1, 9][id]!)).toBe(4);
    expect(quorumIndex([7], () => 12)).toBe(12);
  });

  it('matches the definition for any matches, sizes mixed so the shared scratch is reused at every size', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.nat(20), { minLength: 1, maxLength: 9 }), { minLength: 1, maxLength: 8 }), (groups) => {
      for (const matches of groups) {
        const voters = matches.map((_, i) => i + 1);
        expect(quorumIndex(voters, (id) => matches[id - 1]!)).toBe(quorumIndexByDefinition(matches));
      }
    }));
  });
});
