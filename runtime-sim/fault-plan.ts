// The faults of one run, drawn from the seed before the run starts: what
// happens to whom and when. Everything happens before quiesce; afterwards
// the system must recover and serve every request (the liveness check).

import { assert } from '../core/assert.js';
import type { Random } from '../core/random.js';
import type { DatagramFaults, SpikeSpec } from './network.js';
import { makePartition, PARTITION_KINDS, type PartitionKind, type PartitionShape } from './partitions.js';
import { planLeaderStrikes, type LeaderStrike } from './leader-strike-plan.js';

export const FAULT_NAMES = ['partition', 'reset', 'pause', 'skew', 'spike', 'lossy', 'crash', 'leader'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * Faults a run may use unless told otherwise. Not `crash`: until durability
 * exists a crash loses acknowledged writes, so a crash run is expected to
 * fail the checks (see docs/simulation.md).
 */
export const DEFAULT_FAULTS: readonly FaultName[] = ['partition', 'reset', 'pause', 'skew', 'spike', 'lossy', 'leader'];

/**
 * Chance that a seed turns on each fault when the faults are not given
 * explicitly, so seeds explore different mixes. Lossy client links are the
 * least realistic (real clients use TCP), so they get the smallest share.
 */
export const DEFAULT_FAULT_CHANCE: Readonly<Record<FaultName, number>> = Object.freeze({
  partition: 0.7, reset: 0.7, pause: 0.7, skew: 0.7, spike: 0.5, lossy: 0.25, crash: 0.7, leader: 0.7,
});

export interface PartitionFault { kind: PartitionKind; startUs: number; endUs: number; shape: PartitionShape }
/** `worker` null: the whole node (IO thread and workers) freezes. */
export interface PauseFault { node: number; worker: number | null; startUs: number; endUs: number }
export interface CrashFault { node: number; atUs: number; restartUs: number; machineDown: boolean }
export interface ClockJumpFault { node: number; atUs: number; jumpMs: number }

export interface FaultPlan {
  enabled: readonly FaultName[];
  partitions: PartitionFault[];
  pauses: PauseFault[];
  /** Short scheduling stalls of node threads (with the pause fault), until quiesce. */
  hiccups: { probability: number; maxUs: number } | null;
  /** Times at which one open client connection (chosen then) is reset. */
  resets: number[];
  crashes: CrashFault[];
  /** Per node: the fixed clock offset (0 without the skew fault). */
  skewMs: number[];
  jumps: ClockJumpFault[];
  spikes: SpikeSpec | null;
  /** Datagram faults for client links; null: clients use streams. */
  lossy: DatagramFaults | null;
  /** Faults aimed at Raft leaders, resolved by looking at the cluster when they strike (clusters only). */
  strikes: LeaderStrike[];
}

export interface FaultPlanInput {
  /** Faults this run may use, each on with its `chance` (1 when the faults were given explicitly). */
  allowed: readonly FaultName[];
  chance: (fault: FaultName) => number;
  quiesceAtUs: number;
  nodeHosts: readonly number[];
  clientHosts: readonly number[];
  workersPerNode: readonly number[];
  /** In a cluster: its groups and the election timeout (µs) the leader faults are timed by; null for lone nodes. */
  raftGroups: { groups: number; electionUs: number; tickUs: number; clientTimeoutUs: number } | null;
}

/** A time in [0, endUs). */
function timeBefore(rng: Random, endUs: number): number {
  return rng.int(0, Math.max(0, endUs - 1));
}

export function planFaults(rng: Random, input: FaultPlanInput): FaultPlan {
  const { quiesceAtUs: q, nodeHosts } = input;
  assert(q > 0, 'quiesce must come after the start');
  // `leader` is decided from its own stream below, so that runs without a cluster draw exactly as before it existed.
  const enabled = input.allowed.filter((name) => name !== 'leader' && rng.chance(input.chance(name)));
  const on = (name: FaultName): boolean => enabled.includes(name);
  const nodes = nodeHosts.length;
  // Draw every knob whether or not its fault is on, so that turning one
  // fault on or off does not change the others' schedules.
  const partitionRng = rng.fork();
  const pauseRng = rng.fork();
  const resetRng = rng.fork();
  const crashRng = rng.fork();
  const skewRng = rng.fork();
  const spikeRng = rng.fork();
  const lossyRng = rng.fork();

  const partitions: PartitionFault[] = [];
  for (let i = partitionRng.int(1, 5); i > 0; i--) {
    const startUs = timeBefore(partitionRng, q);
    const endUs = Math.min(q, startUs + partitionRng.int(1_000, 500_000));
    const kind = partitionRng.pick(PARTITION_KINDS);
    partitions.push({ kind, startUs, endUs, shape: makePartition(kind, partitionRng, nodeHosts, input.clientHosts) });
  }

  const pauses: PauseFault[] = [];
  for (let i = pauseRng.int(1, 5); i > 0; i--) {
    const node = pauseRng.int(0, nodes - 1);
    const worker = pauseRng.chance(0.5) ? pauseRng.int(0, input.workersPerNode[node]! - 1) : null;
    const startUs = timeBefore(pauseRng, q);
    pauses.push({ node, worker, startUs, endUs: Math.min(q, startUs + pauseRng.int(500, 300_000)) });
  }

  const hiccups = { probability: pauseRng.int(1, 30) / 1000, maxUs: pauseRng.int(1_000, 20_000) };

  const resets: number[] = [];
  for (let i = resetRng.int(1, 10); i > 0; i--) resets.push(timeBefore(resetRng, q));
  resets.sort((a, b) => a - b);

  const crashes: CrashFault[] = [];
  for (let i = crashRng.int(1, 3); i > 0; i--) {
    const atUs = timeBefore(crashRng, q);
    crashes.push({
      node: crashRng.int(0, nodes - 1), atUs, restartUs: Math.min(q, atUs + crashRng.int(1_000, 200_000)), machineDown: crashRng.chance(0.5),
    });
  }
  crashes.sort((a, b) => a.atUs - b.atUs);

  const skewMs = nodeHosts.map(() => skewRng.int(-5_000, 5_000));
  const jumps: ClockJumpFault[] = [];
  for (let i = skewRng.int(0, 3); i > 0; i--) {
    jumps.push({ node: skewRng.int(0, nodes - 1), atUs: timeBefore(skewRng, q), jumpMs: skewRng.int(1, 2_000) });
  }
  jumps.sort((a, b) => a.atUs - b.atUs);

  const spikes: SpikeSpec = { probability: spikeRng.int(1, 50) / 1000, maxUs: spikeRng.int(1_000, 50_000) };
  const lossy: DatagramFaults = {
    dropP: lossyRng.int(1, 100) / 1000,
    dupP: lossyRng.int(1, 100) / 1000,
    reorderP: lossyRng.int(10, 300) / 1000,
    reorderMaxUs: lossyRng.int(100, 5_000),
  };

  // Leader faults only exist in a cluster: drawn last, from their own fork, so the other faults' schedules stay as they were.
  let strikes: LeaderStrike[] = [];
  if (input.raftGroups !== null && input.allowed.includes('leader')) {
    const strikeRng = rng.fork();
    if (strikeRng.chance(input.chance('leader'))) {
      enabled.push('leader');
      strikes = planLeaderStrikes(strikeRng, { quiesceAtUs: q, nodes, clientHosts: input.clientHosts, ...input.raftGroups });
    }
  }

  return {
    enabled,
    partitions: on('partition') ? partitions : [],
    pauses: on('pause') ? pauses : [],
    hiccups: on('pause') ? hiccups : null,
    resets: on('reset') ? resets : [],
    crashes: on('crash') ? crashes : [],
    skewMs: on('skew') ? skewMs : nodeHosts.map(() => 0),
    jumps: on('skew') ? jumps : [],
    spikes: on('spike') ? spikes : null,
    lossy: on('lossy') ? lossy : null,
    strikes,
  };
}
