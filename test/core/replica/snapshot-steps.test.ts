// A replicated shard group whose replicas take each snapshot as a job
// stepped once per process() call (core/replica/shard-replica.ts over
// core/shard/snapshot-job.ts), with steps so small that every snapshot spans
// several calls while entries keep being applied, and frequent snapshots so
// followers catch up by InstallSnapshot from them: the history stays
// linearizable, the group live after healing, and replicas equal at equal
// index. A spy counts the calls each job took, so the test knows the jobs
// really did span several.

import { afterEach, describe, expect, it } from 'vitest';
import { Shard } from '../../../core/shard/shard.js';
import type { WholeSnapshotJob } from '../../../core/shard/snapshot-job.js';
import { runReplicaGroupSeed } from './replica-group.js';

const original = Shard.prototype.beginWholeSnapshot;
afterEach(() => {
  Shard.prototype.beginWholeSnapshot = original;
});

describe('snapshots taken across process() calls', () => {
  it('keep a group correct and let followers catch up from them (30 seeds)', () => {
    const stepsPerJob: number[] = [];
    let preservedEntries = 0;
    Shard.prototype.beginWholeSnapshot = function (this: Shard): WholeSnapshotJob {
      const job = original.call(this);
      const step = job.step.bind(job);
      let steps = 0;
      job.step = (bytesMax?: number): Uint8Array | null => {
        const whole = step(bytesMax);
        steps++;
        if (whole !== null) {
          stepsPerJob.push(steps);
          preservedEntries += job.preserved.entries;
        }
        return whole;
      };
      return job;
    };
    const problems: string[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      // Twelve clients: enough writes overlap a snapshot job (a job spans a dozen process() calls; followers learn
      // commits with heartbeats, so with fewer clients few entries apply while one is under way).
      const r = runReplicaGroupSeed({ seed, snapshotEveryEntries: 5, snapshotStepBytes: 16, keys: 40, clients: 12 });
      if (r.check.linearizable !== true) problems.push(`seed ${seed}: ${r.check.linearizable === false ? `not linearizable on ${r.check.key}` : 'checker gave up'}`);
      problems.push(...r.problems.map((p) => `seed ${seed}: ${p}`));
    }
    expect(problems).toEqual([]);
    expect(stepsPerJob.length, 'snapshots were taken').toBeGreaterThan(30);
    expect(Math.max(...stepsPerJob), 'some snapshot spanned several process() calls').toBeGreaterThan(2);
    expect(preservedEntries, 'writes reached entries a job had yet to walk').toBeGreaterThan(0);
  });
});
