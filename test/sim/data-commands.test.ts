// Data commands in the simulator (`--data`, runtime-sim/data-workload.ts): runs with hash field registers,
// big hashes and list queues pass on a lone node and on a cluster under every fault, replay exactly, and
// their report and replay command say so.

import { describe, expect, it } from 'vitest';
import { FAULT_NAMES } from '../../runtime-sim/fault-plan.js';
import { formatRun, replayCommand } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';
import { hashRegisterKey } from '../../runtime-sim/data-workload.js';

const explain = (run: SeedRun): string => formatRun(run).join('\n');

/** Hash field operations in a run's history (their keys name a field: `h0/f1`). */
function hashOps(run: SeedRun): number {
  return run.history.filter((e) => e.type !== 'invoke' && e.key.startsWith('h') && e.key.includes('/')).length;
}

describe('data commands in the simulator', () => {
  it('lone-node runs with hash registers and list queues pass, and every list is drained', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const run = runSeed({ seed, ops: 800, dataShare: 0.3 });
      expect(run.failures, explain(run)).toEqual([]);
      expect(hashOps(run)).toBeGreaterThan(0);
      const q = run.queue!;
      expect(q.push.ok).toBeGreaterThan(0);
      expect(q.pop.ok).toBeGreaterThan(0);
      expect(q.drained).toBe(`${run.config.workload.data!.listKeys.length}/${run.config.workload.data!.listKeys.length}`);
    }
  }, 60_000);

  it('a big hash gets its filler batches past the compact limit, read back at the end', () => {
    const run = runSeed({ seed: 1, ops: 800, dataShare: 0.3 });
    expect(run.config.workload.data!.bigHashKeys).toEqual(['h0']);
    // The last batch's first field (z156) exists only once the hash has 160 fields.
    const finalRead = run.history.filter((e) => e.key === hashRegisterKey('h0', 'z156') && e.type === 'ok');
    expect(finalRead.at(-1)?.value).toMatch(/^h0\/z156=/);
  }, 60_000);

  it('a cluster run under every fault passes, and replays to the same trace', () => {
    const options = { seed: 3, nodes: 3, groups: 4, faults: FAULT_NAMES, ops: 600, dataShare: 0.3 };
    const run = runSeed(options);
    expect(run.failures, explain(run)).toEqual([]);
    expect(runSeed(options).traceHash).toBe(run.traceHash);
    expect(replayCommand(run.config)).toContain('--data 0.3');
  }, 60_000);

  it('without --data nothing changes: no data config, no queue', () => {
    const run = runSeed({ seed: 1, ops: 300 });
    expect(run.config.workload.data).toBeNull();
    expect(run.queue).toBeNull();
    expect(replayCommand(run.config)).not.toContain('--data');
  }, 60_000);
});
