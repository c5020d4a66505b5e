// A replicated shard group (Raft + shard, core/replica/shard-replica.ts)
// under faults, judged by the linearizability checker on the clients'
// history, plus liveness after healing and equal state at equal index.
// A planted Raft bug must be caught through the same checks (the whole
// mutation suite runs at the Raft level: test/core/raft/raft-faults.test.ts).

import { describe, expect, it } from 'vitest';
import { runReplicaGroupSeed, type GroupRunOptions } from './replica-group.js';

function failures(options: Omit<GroupRunOptions, 'seed'>, seeds: number, stopAtFirst: boolean): string[] {
  const out: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    let problem: string | null = null;
    try {
      const r = runReplicaGroupSeed({ ...options, seed });
      if (r.check.linearizable === false) problem = `not linearizable on ${r.check.key}`;
      else if (r.check.linearizable === null) problem = `checker gave up: ${r.check.reason}`;
      else if (r.problems.length > 0) problem = r.problems.join('; ');
    } catch (error) {
      problem = `threw: ${(error as Error).message}`;
    }
    if (problem !== null) {
      out.push(`seed ${seed}: ${problem}`);
      if (stopAtFirst) break;
    }
  }
  return out;
}

describe('replicated shard group under faults', () => {
  it('3 replicas, 100 seeds: linearizable, live after healing, replicas equal at equal index', () => {
    expect(failures({}, 100, false)).toEqual([]);
  });

  it('5 replicas, 30 seeds', () => {
    expect(failures({ replicas: 5 }, 30, false)).toEqual([]);
  });

  it('frequent snapshots (every 5 entries): followers catch up by InstallSnapshot and stay correct', () => {
    expect(failures({ snapshotEveryEntries: 5 }, 40, false)).toEqual([]);
  });

  // Two of the four clients only read: with the read floor, a deposed leader serves a stale read only when its
  // own log is all applied, which a client that never writes there leaves it (first caught on seed 96).
  const planted: [string, Omit<GroupRunOptions, 'seed'>, number][] = [
    ['reads served without ReadIndex (stale reads)', { bugs: { readWithoutReadIndex: true }, readers: 2 }, 250],
  ];
  for (const [name, options, seeds] of planted) {
    it(`planted bug caught within ${seeds} seeds: ${name}`, () => {
      expect(failures(options, seeds, true)).not.toEqual([]);
    });
  }
});
