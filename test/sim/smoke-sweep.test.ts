// A smoke sweep: 50 consecutive seeds with the default fault mix must all pass.

import { describe, expect, it } from 'vitest';
import { formatRun } from '../../runtime-sim/report.js';
import { runSeed } from '../../runtime-sim/run-seed.js';

describe('smoke sweep', () => {
  it('seeds 1..50 pass', () => {
    const failing: string[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const run = runSeed({ seed, ops: 300 });
      if (run.exitCode !== 0) failing.push(formatRun(run).join('\n'));
    }
    expect(failing, failing.join('\n\n')).toEqual([]);
  });
});
