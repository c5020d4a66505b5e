// Disk faults on the write path of a running cluster node (runtime-sim/
// disk-damage.ts): misdirected writes, placed so that another replica keeps
// a good copy of every record, and slow fsyncs whose replies and Raft
// messages wait for them. Runs with them pass every check; a recovery that
// skips record checksums (a planted bug) serves what they damaged, and the
// simulator catches it.

import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import type { ClusterSpec } from '../../runtime-sim/cluster.js';
import { DiskDamageLedger, FSYNC_SLOW_MS_MAX, writeFaultsOf } from '../../runtime-sim/disk-damage.js';
import { formatRun } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';
import type { SimOptions } from '../../runtime-sim/config.js';
import type { SimDiskFault } from '../../runtime-sim/sim-disk.js';

/** Workload operations per run: the CI size of test/sim/cluster.test.ts. */
const OPS = 600;
const explain = (run: SeedRun): string => formatRun(run).join('\n');
/** The crash fault brings the write-path disk faults, and the restarts that find what they did. */
const options = (seed: number): SimOptions => ({ seed, nodes: 3, groups: 4, faults: ['crash'], ops: OPS });

function total(run: SeedRun, stat: 'misdirectedWrites' | 'slowFsyncs' | 'repairs' | 'diskDamages'): number {
  return run.nodes.reduce((n, node) => n + node.stats[stat], 0);
}

describe('write-path disk faults in cluster runs', () => {
  it('runs with misdirected writes and slow fsyncs pass every check, and the faults are taken and repaired', () => {
    const sums = { misdirectedWrites: 0, slowFsyncs: 0, repairs: 0 };
    // Fourteen seeds: a sync is one write since one fdatasync per sync (docs/durability.md), and a leader sends one
    // append per turn for all its proposals (core/raft), so a run makes fewer writes that a fault could misdirect.
    for (let seed = 1; seed <= 14; seed++) {
      const run = runSeed(options(seed));
      expect(run.failures, explain(run)).toEqual([]);
      sums.misdirectedWrites += total(run, 'misdirectedWrites');
      sums.slowFsyncs += total(run, 'slowFsyncs');
      sums.repairs += total(run, 'repairs');
    }
    expect(sums.misdirectedWrites).toBeGreaterThanOrEqual(3);
    expect(sums.slowFsyncs).toBeGreaterThan(50);
    expect(sums.repairs).toBeGreaterThan(0);
  }, 120_000);

  it('a recovery that skips record checksums is caught within 15 seeds, and the seed that caught it passes without it', () => {
    let caught: SeedRun | null = null;
    for (let seed = 1; seed <= 15 && caught === null; seed++) {
      const run = runSeed({ ...options(seed), replicaBugs: { recoverWithoutChecksums: true } });
      if (run.failures.length > 0) caught = run;
    }
    expect(caught, 'the planted bug was never caught').not.toBeNull();
    // Which seed catches it first moves whenever traces change; that one does and that it is the bug is what matters.
    expect(caught!.failures.map((f) => f.kind)).toContain('consensus');
    const clean = runSeed(options(caught!.config.seed));
    expect(clean.failures, explain(clean)).toEqual([]);
  }, 120_000);

  it('a lone node gets no write-path faults: only crash damage', () => {
    const run = runSeed({ seed: 3, nodes: 1, faults: ['crash'], ops: 300 });
    expect(run.failures, explain(run)).toEqual([]);
    expect(total(run, 'misdirectedWrites')).toBe(0);
    expect(total(run, 'slowFsyncs')).toBe(0);
  }, 60_000);

  it('the same seed prints the same report twice', () => {
    expect(formatRun(runSeed(options(2)))).toEqual(formatRun(runSeed(options(2))));
  }, 60_000);
});

describe('the placement of write faults (the fault atlas rule)', () => {
  // Group 0 on three nodes, group 1 alone.
  const spec: ClusterSpec = { groups: 2, replicas: 3, placement: [[0, 1, 2], [1]], tickUs: 10_000, leaderWaitTicks: 0 };
  const fault: SimDiskFault = { kind: 'misdirected', file: 'log-0000000001.seg', intended: 100, landed: 40, bytes: 60 };

  it('misdirects only in groups of three or more, one replica of a group at a time', () => {
    const ledger = new DiskDamageLedger(spec);
    expect(ledger.mayMisdirect(1)).toBe(false); // a group of one: crash damage only
    expect(ledger.mayMisdirect(0)).toBe(true);
    ledger.misdirected(0, 2, fault);
    expect(ledger.mayMisdirect(0)).toBe(false); // the other replicas keep the good copy
    expect(ledger.mayDamage(0, 1)).toBe(false);
    expect(ledger.mayDamage(0, 2)).toBe(false); // no latent damage on top, until a restart has seen it
    ledger.restarted(0, 2);
    expect(ledger.mayDamage(0, 2)).toBe(true);
    ledger.cleared(0, 2);
    expect(ledger.mayMisdirect(0)).toBe(true);
    expect(ledger.faults).toEqual([{ node: 2, group: 0, fault }]);
  });

  it('a disk of a cluster gets crash damage, rare misdirected writes (one at most) and slow fsyncs of a seed-chosen length', () => {
    const faults = writeFaultsOf(Random.fromSeed(4));
    expect(faults.misdirectedWritesMax).toBe(1);
    expect(faults.misdirectedWriteChance).toBeGreaterThan(0);
    expect(faults.crashLostWriteChance).toBeGreaterThan(0);
    expect(faults.fsyncSlowMs).toBeGreaterThanOrEqual(1);
    expect(faults.fsyncSlowMs).toBeLessThanOrEqual(FSYNC_SLOW_MS_MAX);
  });
});
