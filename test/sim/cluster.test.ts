// Replicated clusters in the simulator: several nodes, shard groups
// replicated by Raft, peer messages as encoded Cap'n Proto datagrams, and
// every fault including crash/restart (storage keeps what was synced).

import { describe, expect, it } from 'vitest';
import { FAULT_NAMES } from '../../runtime-sim/fault-plan.js';
import { makeConfig } from '../../runtime-sim/config.js';
import { formatRun, replayCommand } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';

const ALL = [...FAULT_NAMES];
const OPS = 600;
/** The sweep CI runs on every change (longer sweeps: npm run sim -- --seeds 1..N --nodes 3 --groups 4 --faults all). */
const CI_SWEEP_SEEDS = 300;
/** Seeds per test of the sweep: a failure names its range, and each part has its own timeout. */
const CI_SWEEP_PART_SEEDS = 100;
/**
 * A part takes about 40 s alone on the shared 2-core VM: the fault window spans at least 12 election timeouts
 * (the leader fault needs them), so each run simulates a few seconds of heartbeats; more when other test files
 * run alongside.
 */
const CI_SWEEP_TIMEOUT_MS = 240_000;
const explain = (run: SeedRun): string => formatRun(run).join('\n');

describe('simulated replicated cluster', () => {
  for (let first = 1; first <= CI_SWEEP_SEEDS; first += CI_SWEEP_PART_SEEDS) {
    const last = Math.min(CI_SWEEP_SEEDS, first + CI_SWEEP_PART_SEEDS - 1);
    it(`3 nodes, 4 groups, every fault on: linearizable, Raft invariants hold, live after the faults stop (seeds ${first}..${last} of the CI sweep)`, () => {
      let crashes = 0;
      let datagrams = 0;
      for (let seed = first; seed <= last; seed++) {
        const run = runSeed({ seed, nodes: 3, groups: 4, faults: ALL, ops: OPS });
        expect(run.failures, explain(run)).toEqual([]);
        expect(run.checker.verdict).toBe('linearizable');
        expect(run.finalCounts.ok).toBeGreaterThan(0);
        crashes += run.config.faults.crashes.length;
        datagrams += run.network.datagramsDelivered;
      }
      // The faults really happened and peers really talked.
      expect(crashes).toBeGreaterThan(0);
      expect(datagrams).toBeGreaterThan(1000);
    }, CI_SWEEP_TIMEOUT_MS);
  }

  it('with background syncs (--background-sync): seeds 1..30 of every fault pass', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const run = runSeed({ seed, nodes: 3, groups: 4, faults: ALL, ops: OPS, backgroundSync: true });
      expect(run.failures, explain(run)).toEqual([]);
      expect(formatRun(run).join('\n')).toContain('disks: fsyncs finish in the background');
      expect(replayCommand(run.config)).toContain('--background-sync');
    }
  }, CI_SWEEP_TIMEOUT_MS);

  it('the leader fault: planned only for clusters, every strike over before quiesce, a broad mix across seeds', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 50; seed++) {
      const config = makeConfig({ seed, nodes: 3, groups: 4, faults: ALL });
      expect(config.faults.strikes.length).toBeGreaterThan(0);
      for (const s of config.faults.strikes) {
        expect(s.startUs).toBeLessThanOrEqual(s.endUs);
        expect(s.endUs).toBeLessThan(config.quiesceAtUs);
        expect(s.group).toBeLessThan(4);
        kinds.add(s.kind);
      }
      const lone = makeConfig({ seed, nodes: 3, faults: ALL });
      expect(lone.faults.strikes).toEqual([]);
      expect(lone.faults.enabled).not.toContain('leader');
    }
    expect([...kinds].sort()).toEqual(['chase', 'crash-after-propose', 'flap', 'isolate']);
  });

  it('the leader fault alone: leaders change under it, and every check passes', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const run = runSeed({ seed, nodes: 3, groups: 4, faults: ['leader'], ops: OPS });
      expect(run.failures, explain(run)).toEqual([]);
      expect(run.finalCounts.ok).toBeGreaterThan(0);
    }
  });

  it('many client hosts: a process thinking longer than the watchdog window is no stall', () => {
    // 32 hosts of 7 processes get about 9 operations each, paced through the fault window with a mean think of
    // 267 ms (up to ten times that): one process thought past the watchdog's window after every other one was
    // done, and the run used to end as a liveness failure ("no operation completed") with a healthy cluster.
    const run = runSeed({ seed: 4, nodes: 3, groups: 4, clients: 32, faults: ALL, ops: 2000 });
    expect(run.failures, explain(run)).toEqual([]);
    expect(run.finalCounts.ok).toBeGreaterThan(0);
  });

  it('5 nodes with 3 replicas per group', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const run = runSeed({ seed, nodes: 5, groups: 5, replicas: 3, faults: ALL, ops: OPS });
      expect(run.failures, explain(run)).toEqual([]);
    }
  });

  it('the same seed gives the same output and trace hash', () => {
    const a = runSeed({ seed: 42, nodes: 3, groups: 2, faults: ALL, ops: 300 });
    const b = runSeed({ seed: 42, nodes: 3, groups: 2, faults: ALL, ops: 300 });
    expect(formatRun(b)).toEqual(formatRun(a));
    expect(b.traceHash).toBe(a.traceHash);
  });

  it('planted bug: messages sent before their entries are synced; a crash then changes a committed entry, and the invariant checks catch it', () => {
    let caught: SeedRun | null = null;
    for (let seed = 1; seed <= 30 && caught === null; seed++) {
      const run = runSeed({ seed, nodes: 3, groups: 4, faults: ALL, replicaBugs: { sendBeforeSync: true } });
      if (run.failures.length > 0) caught = run;
    }
    expect(caught, 'the planted bug was never caught').not.toBeNull();
    expect(caught!.failures.map((f) => f.kind)).toContain('consensus');
    expect(caught!.exitCode).toBe(3);
  });
});
