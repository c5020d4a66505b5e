// The repair gate (core/raft/repair-gate.ts): a replica that lost storage it
// may have acknowledged from votes until it holds every entry that could have
// been committed with those acknowledgements.

import { describe, expect, it } from 'vitest';
import { RepairGate } from '../../../core/raft/repair-gate.js';

describe('the repair gate', () => {
  it('stays shut until a leader was heard', () => {
    const gate = new RepairGate({ term: 1, vote: 0, commit: 0 });
    expect(gate.repaired(5, 1)).toBe(false);
    expect(gate.target).toBeNull();
  });

  it('ignores appends from leaders of terms older than the persisted one', () => {
    const gate = new RepairGate({ term: 3, vote: 0, commit: 0 });
    gate.onLeaderAppend(2, 0);
    expect(gate.repaired(9, 2)).toBe(false);
  });

  it('reaching the commit index first heard is not enough: the commit must cover an entry of that leader\'s term (seed 946)', () => {
    // The replica acknowledged entry 1 of term 1, then lost it. The leader of term 2 holds entry 1 but has
    // not committed it yet when first heard (its commit is 0): an old leader may commit it with the lost
    // acknowledgement arriving late.
    const gate = new RepairGate({ term: 1, vote: 0, commit: 0 });
    gate.onLeaderAppend(2, 0);
    expect(gate.target).toBe(0);
    expect(gate.repaired(0, 0)).toBe(false);
    // Entry 1 (term 1) committed: still not an entry of term 2, so entries after it may still be missing.
    expect(gate.repaired(1, 1)).toBe(false);
    // The leader's own no-op (term 2) committed: everything before it is committed and held.
    expect(gate.repaired(2, 2)).toBe(true);
  });

  it('a later leader (higher term) committing its entry also opens it', () => {
    const gate = new RepairGate({ term: 1, vote: 0, commit: 4 });
    gate.onLeaderAppend(2, 3);
    expect(gate.repaired(3, 2)).toBe(false); // below the persisted commit
    expect(gate.repaired(6, 3)).toBe(true);
  });
});
