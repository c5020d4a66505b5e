// Whole simulated runs: the properties every seed must have, determinism,
// and each fault on its own.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_NAMES } from '../../runtime-sim/fault-plan.js';
import { formatConfig, formatRun } from '../../runtime-sim/report.js';
import { runSeed, type SeedRun } from '../../runtime-sim/run-seed.js';

/** Small runs keep the suite fast; collisions come from the few keys, not from volume. */
const OPS = 300;

function explain(run: SeedRun): string {
  return formatRun(run).join('\n');
}

describe('simulated runs', () => {
  it('any seed: linearizable, no acknowledged write lost, no corrupted value, expiry right, live after quiesce', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 32 }), (seed) => {
      const run = runSeed({ seed, ops: OPS });
      expect(run.failures, explain(run)).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.checker.verdict).toBe('linearizable');
      // The final read-back and the post-quiesce reserve really ran.
      expect(run.finalCounts.ok).toBe(run.config.workload.registerKeys.length + run.config.workload.counterKeys.length);
      expect(run.history.some((e) => e.time >= run.config.settleAtUs && e.process < run.config.clients * run.config.processesPerClient)).toBe(true);
    }), { numRuns: 30 });
  });

  it('the same seed gives the same output and trace hash; different seeds give different schedules', () => {
    const a = runSeed({ seed: 77, ops: OPS });
    const b = runSeed({ seed: 77, ops: OPS });
    expect(formatRun(b)).toEqual(formatRun(a));
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.history).toEqual(a.history);
    const hashes = new Set<string>();
    const schedules = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const run = runSeed({ seed, ops: 100 });
      hashes.add(run.traceHash);
      schedules.add(formatConfig(run.config).slice(1).join('\n'));
    }
    expect(hashes.size).toBe(10);
    expect(schedules.size).toBe(10);
  });

  it('the output has no wall-clock content (only virtual times)', () => {
    const text = explain(runSeed({ seed: 5, ops: 100 }));
    expect(text).not.toMatch(/wall|ops\/s/);
    expect(text).toMatch(/^trace: [0-9a-f]{16}$/m);
  });

  // `leader` aims at Raft leaders, so it exists only in clusters (test/sim/cluster.test.ts).
  for (const fault of FAULT_NAMES.filter((f) => f !== 'crash' && f !== 'leader')) {
    it(`fault "${fault}" on its own: runs, bites, and the checks pass`, () => {
      for (const seed of [1, 2]) {
        const run = runSeed({ seed, ops: OPS, faults: [fault] });
        expect(run.config.faults.enabled).toEqual([fault]);
        expect(run.failures, explain(run)).toEqual([]);
      }
    });
  }

  it('faults really happen: timeouts, resets, stalls, drops and duplicates show up across seeds', () => {
    let timeouts = 0;
    let resets = 0;
    let stalls = 0;
    let dropped = 0;
    let duplicated = 0;
    let backlogged = 0;
    let deferred = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const stream = runSeed({ seed, ops: OPS, faults: ['partition', 'reset', 'pause'] });
      timeouts += stream.sessions.timeouts;
      resets += stream.network.streamResets;
      stalls += stream.network.streamStalls;
      deferred += stream.eventsDeferred;
      backlogged += stream.nodes.reduce((n, node) => n + node.stats.backlogged, 0);
      const lossy = runSeed({ seed, ops: OPS, faults: ['lossy'] });
      dropped += lossy.network.datagramsDropped;
      duplicated += lossy.network.datagramsDuplicated;
    }
    for (const [name, n] of Object.entries({ timeouts, resets, stalls, dropped, duplicated, deferred })) {
      expect(n, name).toBeGreaterThan(0);
    }
    // Small rings, big values, pipelining and stalled workers: some seed fills a request ring.
    let anyBacklog = backlogged > 0;
    for (let seed = 1; seed <= 20 && !anyBacklog; seed++) {
      const run = runSeed({ seed, ops: OPS, faults: ['pause'] });
      anyBacklog = run.nodes.some((n) => n.stats.backlogged > 0);
    }
    expect(anyBacklog).toBe(true);
    // Records wrap around the end of the rings.
    expect(runSeed({ seed: 1, ops: 2000, faults: [] }).nodes[0]!.ringLaps).toBeGreaterThan(1);
  });

  it('several nodes: each key has one owner and every node serves its share', () => {
    const run = runSeed({ seed: 3, nodes: 3, ops: 600, clients: 6 });
    expect(run.failures, explain(run)).toEqual([]);
    expect(run.nodes.length).toBe(3);
    expect(run.nodes.filter((n) => n.stats.requests > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('crash: a lone node restarted after kill -9 or power loss keeps every acknowledged write (storage on its simulated disk)', () => {
    let crashes = 0;
    let powerLosses = 0;
    let restartedWithData = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const run = runSeed({ seed, ops: OPS, faults: ['crash'] });
      expect(run.config.faults.crashes.length).toBeGreaterThan(0);
      // Linearizable with the final read-back: no acknowledged write was lost across the crashes.
      expect(run.failures, explain(run)).toEqual([]);
      crashes += run.config.faults.crashes.length;
      powerLosses += run.config.faults.crashes.filter((c) => c.machineDown).length;
      if (run.nodes.some((n) => n.incarnations > 1)) restartedWithData++;
    }
    expect(crashes).toBeGreaterThan(6);
    expect(powerLosses, 'machine-down crashes (unsynced writes torn or lost) happened').toBeGreaterThan(0);
    expect(restartedWithData).toBeGreaterThan(0);
  });

  it('crash: with fsyncs finishing in the background, the same holds; a node that answers before its sync is caught', () => {
    let powerLosses = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const run = runSeed({ seed, ops: OPS, faults: ['crash'], backgroundSync: true });
      expect(run.failures, explain(run)).toEqual([]);
      if (run.config.faults.crashes.some((c) => c.machineDown)) powerLosses++;
    }
    expect(powerLosses, 'power losses with background syncs under way happened').toBeGreaterThan(0);
    let caught: number | null = null;
    for (let seed = 1; seed <= 10 && caught === null; seed++) {
      const run = runSeed({ seed, ops: OPS, faults: ['crash'], backgroundSync: true, replicaBugs: { skipBackgroundSyncWait: true } });
      if (run.failures.some((f) => f.kind === 'linearizability' || f.kind === 'lost-write')) caught = seed;
    }
    expect(caught, 'acknowledging before the background sync went unnoticed').not.toBeNull();
  });
});
