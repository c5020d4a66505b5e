// One seeded run of a Raft group under faults: messages delivered out of
// order, dropped and duplicated, partitions, crashes with restarts (storage
// keeps only what was synced), client proposals and ReadIndex reads. Then the
// faults stop, and the group must elect a leader, serve a read and a write,
// and converge, within a bounded number of ticks. Every step is checked by
// the cluster's invariants; reads are checked against acknowledged writes.

import { Random } from '../../../core/random.js';
import type { PlantedBugs } from '../../../core/raft/raft.js';
import { InvariantViolation, RaftCluster, type ClusterOptions } from './raft-cluster.js';

export interface FaultRunOptions {
  seed: number;
  voters?: number;
  steps?: number;
  bugs?: PlantedBugs;
  preVote?: boolean;
  plantedBugSendBeforeSync?: boolean;
  forgetVoteOnRestart?: boolean;
  /** Writes are synced in the background, at random steps (ClusterOptions.backgroundSync). */
  backgroundSync?: boolean;
  plantedBugPersistedBeforeSync?: boolean;
  snapshotEvery?: number;
  /** Snapshot bytes per message (RaftTuning.snapshotChunkBytes): small, so snapshots travel in many chunks. */
  snapshotChunkBytes?: number;
  crashes?: boolean;
  /** Crash, restart and re-partition far more often (leader changes in quick succession, as thesis figure 3.7 needs). */
  churn?: boolean;
  /**
   * After healing, write before reading. A read-first recovery shows that a
   * leader without its no-op never answers reads; write-first lets the
   * mutation suite look past that, at what an old-term commit breaks.
   */
  writeFirstAfterHealing?: boolean;
}

export type FaultRunResult = { ok: true; acknowledged: number; terms: number; snapshotChunks: number } | { ok: false; error: string };

/** Ticks the healed group gets to elect a leader and answer; far above the election timeout (10-19 ticks). */
const RECOVERY_TICKS_MAX = 300;

export function runFaultSeed(options: FaultRunOptions): FaultRunResult {
  const voters = options.voters ?? 3;
  const clusterOptions: ClusterOptions = {
    seed: options.seed, voters, snapshotEvery: options.snapshotEvery ?? 25, snapshotKeep: 3,
    ...(options.bugs ? { bugs: options.bugs } : {}),
    ...(options.preVote !== undefined ? { preVote: options.preVote } : {}),
    ...(options.plantedBugSendBeforeSync ? { plantedBugSendBeforeSync: true } : {}),
    ...(options.forgetVoteOnRestart ? { forgetVoteOnRestart: true } : {}),
    ...(options.backgroundSync ? { backgroundSync: true } : {}),
    ...(options.plantedBugPersistedBeforeSync ? { plantedBugPersistedBeforeSync: true } : {}),
    ...(options.snapshotChunkBytes !== undefined ? { tuning: { snapshotChunkBytes: options.snapshotChunkBytes } } : {}),
  };
  const c = new RaftCluster(clusterOptions);
  const rand = Random.fromSeed(options.seed * 7919 + 1);
  const ids = Array.from({ length: voters }, (_, i) => i + 1);
  let command = 0;
  let context = 0;
  /** Per read: the highest index acknowledged before it began (a linearizable read must be at least there). */
  const readFloor = new Map<number, { id: number; floor: number }>();
  const highestAcknowledgedIndex = (): number => c.highestAcknowledgedIndex();
  const checkReads = (): void => {
    for (const [ctx, { id, floor }] of readFloor) {
      const index = c.get(id).reads.get(ctx);
      if (index === undefined) continue;
      readFloor.delete(ctx);
      if (index > 0 && index < floor) throw new InvariantViolation(`read ${ctx} at replica ${id} got index ${index}, below the acknowledged write at ${floor}`);
    }
  };

  try {
    const steps = options.steps ?? 3000;
    for (let step = 0; step < steps; step++) {
      // Action 9 (a background sync finishing) last: runs without background syncs draw exactly as before.
      const weights = options.churn
        ? [30, 4, 2, 30, 6, 2, 8, 6, 3]
        : [40, 4, 3, 20, 10, 4, options.crashes === false ? 0 : 1, 2, 2];
      const action = rand.weighted(options.backgroundSync ? [...weights, 25] : weights);
      switch (action) {
        case 0: if (c.inFlight.length > 0) c.deliver(rand.int(0, c.inFlight.length - 1)); break;
        case 1: if (c.inFlight.length > 0) c.inFlight.splice(rand.int(0, c.inFlight.length - 1), 1); break;
        case 2: if (c.inFlight.length > 0) c.inFlight.push(c.inFlight[rand.int(0, c.inFlight.length - 1)]!); break;
        case 3: { const id = rand.pick(ids); if (c.isUp(id)) c.tick(id); break; }
        case 4: { const id = c.leader() ?? rand.pick(ids); if (c.isUp(id)) c.propose(id, `c${++command}`); break; }
        case 5: {
          const id = rand.pick(ids);
          if (c.isUp(id)) { readFloor.set(++context, { id, floor: highestAcknowledgedIndex() }); c.readIndex(id, context); }
          break;
        }
        case 6: { const id = rand.pick(ids); if (c.isUp(id)) c.crash(id); else c.restart(id); break; }
        case 7: {
          if (voters < 2) break; // a lone replica has no one to be cut off from
          const shuffled = [...ids].sort(() => rand.float() - 0.5);
          const cutAt = rand.int(1, voters - 1);
          c.partition([shuffled.slice(0, cutAt), shuffled.slice(cutAt)]);
          break;
        }
        case 8: c.heal(); break;
        case 9: { const id = rand.pick(ids); if (c.isUp(id)) c.completeSync(id); break; }
      }
      checkReads();
    }
    // Faults stop: heal, restart everyone, and the group must recover.
    c.heal();
    for (const id of ids) if (!c.isUp(id)) c.restart(id);
    // Reads lost in the network during the faults stay unanswered, as a client's would time out.
    readFloor.clear();
    const phases = options.writeFirstAfterHealing ? ['write', 'read'] as const : ['read', 'write'] as const;
    let phase = 0;
    let proposedInTerm = -1;
    let read: { id: number; context: number } | null = null;
    for (let t = 0; t < RECOVERY_TICKS_MAX && phase < phases.length; t++) {
      c.tickAll();
      c.deliverAll();
      checkReads();
      const lead = c.leader();
      if (lead === null) continue;
      const term = c.node(lead).status().term;
      if (phases[phase] === 'write') {
        if (c.acknowledged.has('final')) { phase++; continue; }
        // The client retries against each new leader.
        if (term !== proposedInTerm && c.propose(lead, 'final')) proposedInTerm = term;
      } else {
        const answer = read === null ? 0 : c.get(read.id).reads.get(read.context);
        if (answer !== undefined && answer > 0) { phase++; continue; }
        if (answer === 0) { // never asked, or abandoned by a deposed leader: ask the current one
          read = { id: lead, context: ++context };
          readFloor.set(read.context, { id: lead, floor: highestAcknowledgedIndex() });
          c.readIndex(lead, read.context);
        }
      }
    }
    if (phase < phases.length) {
      return { ok: false, error: `liveness: no ${phases[phase]} served within ${RECOVERY_TICKS_MAX} ticks after healing` };
    }
    for (let i = 0; i < 20; i++) { c.tickAll(); c.deliverAll(); }
    const lead = c.leader()!;
    c.checkNoAcknowledgedWriteLost();
    const states = ids.map((id) => JSON.stringify(c.get(id).state));
    if (new Set(states).size !== 1) return { ok: false, error: 'replicas did not converge after healing' };
    return { ok: true, acknowledged: c.acknowledged.size, terms: c.node(lead).status().term, snapshotChunks: c.snapshotChunksDelivered };
  } catch (error) {
    if (error instanceof InvariantViolation || (error as Error).name === 'AssertionError') {
      return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
    }
    throw error;
  }
}

/**
 * A flapping link: one follower is cut off for a while, then back, again and
 * again, while the majority stays connected and keeps writing. The majority
 * must keep its leader; returns how many elections the flapping caused
 * (term changes of the leader; the same replica may win again).
 */
export function runFlappingPartition(seed: number, preVote: boolean, flaps = 20): number {
  const c = new RaftCluster({ seed, voters: 3, preVote });
  const rand = Random.fromSeed(seed * 31 + 7);
  const lead = c.settle();
  let term = c.node(lead).status().term;
  let changes = 0;
  for (let flap = 0; flap < flaps; flap++) {
    const loner = rand.pick([1, 2, 3].filter((id) => id !== (c.leader() ?? lead)));
    c.partition([[loner], [1, 2, 3].filter((id) => id !== loner)]);
    for (let t = rand.int(25, 60); t > 0; t--) { c.tickAll(); c.deliverAll(); }
    c.heal();
    for (let t = rand.int(2, 8); t > 0; t--) { c.tickAll(); c.deliverAll(); }
    const now = c.leader();
    if (now === null) continue;
    const nowTerm = c.node(now).status().term;
    if (nowTerm !== term) { changes++; term = nowTerm; }
    c.propose(now, `f${flap}`);
  }
  return changes;
}
