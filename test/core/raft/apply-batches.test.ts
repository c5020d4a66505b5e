// A Ready hands the application at most APPLY_ENTRIES_PER_READY_MAX committed
// entries (core/raft/raft-log.ts): a restart's replay of a long log comes in
// batches, in order, each entry once, until none is left.

import { describe, expect, it } from 'vitest';
import { APPLY_ENTRIES_PER_READY_MAX, RaftLog } from '../../../core/raft/raft-log.js';
import type { Entry } from '../../../core/raft/raft-types.js';

describe('committed entries are applied in bounded batches', () => {
  it('a restored log longer than a batch comes out whole, in order, a batch per call', () => {
    const count = 2 * APPLY_ENTRIES_PER_READY_MAX + 123;
    const entries: Entry[] = Array.from({ length: count }, (_, i) => ({ index: 101 + i, term: 2, kind: 'normal', data: new Uint8Array([i & 0xff]) }));
    const log = new RaftLog({ index: 100, term: 1 }, entries, 100 + count);
    const sizes: number[] = [];
    let next = 101;
    while (log.hasToApply()) {
      const batch = log.entriesToApply();
      sizes.push(batch.length);
      for (const e of batch) expect(e.index).toBe(next++);
      log.appliedTo(batch[batch.length - 1]!.index);
    }
    expect(sizes).toEqual([APPLY_ENTRIES_PER_READY_MAX, APPLY_ENTRIES_PER_READY_MAX, 123]);
    expect(log.applied).toBe(100 + count);
  });
});
