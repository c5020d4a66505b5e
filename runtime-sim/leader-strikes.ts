// The `leader` fault at run time: each planned strike (leader-strike-plan.ts)
// is resolved by looking at the cluster, i.e. at who leads its group when it
// fires, and at every step after that (the simulator calls observe() after
// every drain, tick and peer delivery of every worker). Everything here is a
// function of the simulation's state, which is a function of the seed, so a
// run replays exactly.
//
// A strike cuts links (PartitionTable) and crashes and restarts nodes
// (NodeHost), on the environment thread; by its planned end it has undone
// all of it, so no fault outlives quiesce.

import { assert, unreachable } from '../core/assert.js';
import type { ShardReplica } from '../core/replica/shard-replica.js';
import { Kind } from './event-kinds.js';
import type { LeaderStrike } from './leader-strike-plan.js';
import type { Network } from './network.js';
import type { NodeHost } from './node-host.js';
import type { SimNode } from './sim-node.js';
import { isolateFromPeers, type PartitionShape, type PartitionTable } from './partitions.js';
import { ENVIRONMENT_THREAD, type Simulation } from './simulation.js';

export interface StrikeTargets {
  sim: Simulation;
  partitions: PartitionTable;
  network: Network;
  nodes: readonly NodeHost[];
  /** Host id of each node, by node index. */
  nodeHosts: readonly number[];
}

/** What a strike has done so far (all of it undone at its end). */
interface Running {
  readonly strike: LeaderStrike;
  readonly index: number;
  /** Waiting for a leader to strike at (or, for crash-after-propose, for it to propose). */
  armed: boolean;
  cut: PartitionShape | null;
  /** The leader the cut isolates, and its term. */
  cutNode: number;
  cutTerm: number;
  movesLeft: number;
  /** chase: a move to a new leader is scheduled (lingering). */
  moving: boolean;
  /** Nodes this strike crashed (restarted at the latest at its end). */
  readonly crashed: Set<number>;
  /** The last index each leader replica had when this strike last looked (to see it propose). */
  readonly lastIndexSeen: WeakMap<ShardReplica, number>;
  /** isolate: the process whose timers it slowed (a restart since gave the node a new one, with timers as they should be). */
  slowed: SimNode | null;
}

export class LeaderStrikes {
  /** Per group: the newest leader seen (highest term), or node -1. */
  private readonly newest: { node: number; term: number }[];
  private readonly running = new Map<number, Running>();
  /** Strikes reacting to steps (armed or chasing): observe() does nothing else when there are none. */
  private watching = 0;
  /** Strikes that fired: a strike planned while no leader existed may never find one. */
  fired = 0;

  constructor(private readonly targets: StrikeTargets, private readonly strikes: readonly LeaderStrike[], groups: number) {
    this.newest = Array.from({ length: groups }, () => ({ node: -1, term: 0 }));
  }

  schedule(): void {
    const { sim } = this.targets;
    this.strikes.forEach((strike, index) => {
      sim.at(strike.startUs, ENVIRONMENT_THREAD, Kind.LEADER_STRIKE, index, () => this.begin(strike, index));
      sim.at(strike.endUs, ENVIRONMENT_THREAD, Kind.LEADER_STRIKE_END, index, () => this.end(index));
    });
  }

  /** After every step of a node's worker: track leaders, and let armed strikes act. */
  observe(node: number, replicas: Iterable<ShardReplica>): void {
    for (const replica of replicas) {
      const raft = replica.raw.raft;
      if (raft.role !== 'leader') continue;
      const newest = this.newest[replica.group]!;
      if (raft.term > newest.term) {
        newest.node = node;
        newest.term = raft.term;
      }
      if (this.watching === 0) continue;
      for (const run of this.running.values()) {
        if (run.strike.group !== replica.group || run.strike.kind === 'flap') continue;
        if (run.armed || run.movesLeft > 0) this.onLeader(run, node, replica);
      }
    }
  }

  private begin(strike: LeaderStrike, index: number): void {
    const run: Running = {
      strike, index, armed: true, cut: null, cutNode: -1, cutTerm: 0, movesLeft: strike.kind === 'chase' ? strike.moves : 0, moving: false,
      crashed: new Set(), lastIndexSeen: new WeakMap(), slowed: null,
    };
    this.running.set(index, run);
    if (strike.kind === 'flap') {
      run.armed = false;
      this.fired++;
      this.flap(run, strike.node);
      return;
    }
    this.watching++;
    // The newest leader known, if it still leads: strike now rather than wait for its next step.
    const { node } = this.newest[strike.group]!;
    const replica = node < 0 ? undefined : this.replicaOf(node, strike.group);
    if (replica !== undefined && replica.raw.raft.role === 'leader') this.onLeader(run, node, replica);
  }

  private onLeader(run: Running, node: number, replica: ShardReplica): void {
    const strike = run.strike;
    const term = replica.raw.raft.term;
    switch (strike.kind) {
      case 'isolate':
        this.disarm(run);
        this.isolate(run, node, term);
        for (const stream of this.targets.nodes[node]!.openStreams()) if (strike.resetClients.includes(stream.clientHost)) stream.reset('network');
        if (strike.freezeUs > 0) {
          const { sim, nodes } = this.targets;
          for (const t of nodes[node]!.threads.workers) sim.freeze(t, Math.min(strike.endUs, sim.nowUs + strike.freezeUs));
        }
        if (strike.timerSlowdown > 1) {
          run.slowed = this.targets.nodes[node]!.current;
          run.slowed?.slowTimers(strike.timerSlowdown);
        }
        return;
      case 'chase': {
        // The first leader, or a new one elected behind the isolation: the isolation moves to it (now, once it
        // proposes, or after lingering).
        if (!run.armed && (node === run.cutNode || term <= run.cutTerm || run.moving)) return;
        if (strike.afterPropose && !this.proposedNow(run, replica)) return;
        if (run.armed) {
          run.armed = false;
          this.fired++;
          this.isolate(run, node, term);
          return;
        }
        if (strike.restartVoters) this.restartVotersOf(run, node, replica);
        if (strike.lingerUs === 0) return this.move(run, node, term);
        run.moving = true;
        this.targets.sim.after(strike.lingerUs, ENVIRONMENT_THREAD, Kind.LEADER_STRIKE, run.index, () => {
          run.moving = false;
          if (this.running.has(run.index)) this.move(run, node, term);
        });
        return;
      }
      case 'crash-after-propose':
        if (!this.proposedNow(run, replica)) return;
        // A client's write just appended: cut the leader off before it reaches anyone, then crash it.
        this.disarm(run);
        this.isolate(run, node, term);
        this.crash(run, node, strike.machineDown, strike.downUs);
        return;
      case 'flap':
        return;
      default:
        unreachable(strike, 'strike kind');
    }
  }

  /** The leader appended a client's entry (not a no-op) since this strike last looked at it. */
  private proposedNow(run: Running, replica: ShardReplica): boolean {
    const raft = replica.raw.raft;
    const last = raft.log.lastIndex();
    const before = run.lastIndexSeen.get(replica);
    run.lastIndexSeen.set(replica, last);
    if (before === undefined || last <= before) return false;
    const entry = raft.log.entry(last);
    return entry.term === raft.term && entry.kind === 'normal' && entry.data.length > 0;
  }

  /** chase: the isolation moves to the leader `node` of `term`. */
  private move(run: Running, node: number, term: number): void {
    this.uncut(run);
    this.isolate(run, node, term);
    if (--run.movesLeft === 0) this.watching--;
  }

  private disarm(run: Running): void {
    if (!run.armed) return;
    run.armed = false;
    this.watching--;
    this.fired++;
  }

  private isolate(run: Running, node: number, term: number): void {
    assert(run.cut === null, 'a strike holds one cut at a time');
    const { nodeHosts, partitions } = this.targets;
    run.cut = isolateFromPeers(nodeHosts[node]!, nodeHosts);
    run.cutNode = node;
    run.cutTerm = term;
    partitions.block(run.cut.pairs);
  }

  private uncut(run: Running): void {
    if (run.cut === null) return;
    this.targets.partitions.unblock(run.cut.pairs);
    this.targets.network.healed();
    run.cut = null;
  }

  /** The replicas that granted `leader` its term's vote are crashed and restarted: their vote must survive. */
  private restartVotersOf(run: Running, leader: number, replica: ShardReplica): void {
    const { term, id } = replica.raw.raft;
    for (let n = 0; n < this.targets.nodes.length; n++) {
      if (n === leader) continue;
      const voter = this.replicaOf(n, replica.group);
      if (voter !== undefined && voter.raw.raft.term === term && voter.raw.raft.vote === id) {
        this.crash(run, n, false, run.strike.kind === 'chase' ? run.strike.downUs : 0);
      }
    }
  }

  /** Crash `node` now (after the step that is running) and restart it `downUs` later, by the strike's end at the latest. */
  private crash(run: Running, node: number, machineDown: boolean, downUs: number): void {
    const { sim, nodes } = this.targets;
    const host = nodes[node]!;
    sim.at(sim.nowUs, ENVIRONMENT_THREAD, Kind.CRASH, run.index, () => {
      // After the strike's end nothing would restart it.
      if (host.current === null || !this.running.has(run.index)) return;
      host.crash(machineDown);
      run.crashed.add(node);
      sim.at(Math.min(run.strike.endUs, sim.nowUs + downUs), ENVIRONMENT_THREAD, Kind.RESTART, run.index, () => this.restart(run, node));
    });
  }

  private restart(run: Running, node: number): void {
    if (!run.crashed.delete(node)) return;
    const host = this.targets.nodes[node]!;
    if (host.current === null) host.boot();
    // A crashed leader's isolation ends with its restart: it comes back as a follower, as a rebooted machine would.
    if (run.cutNode === node && run.strike.kind === 'crash-after-propose') this.uncut(run);
  }

  /** Cut `node` from its peers for cutUs, join for gapUs, and again, until the strike's end. */
  private flap(run: Running, node: number): void {
    const strike = run.strike;
    assert(strike.kind === 'flap', 'flap strike');
    const { sim } = this.targets;
    const cutAgain = (): void => {
      if (run.cut !== null || sim.nowUs >= strike.endUs) return;
      this.isolate(run, node, 0);
      sim.after(strike.cutUs, ENVIRONMENT_THREAD, Kind.LEADER_STRIKE, run.index, () => {
        this.uncut(run);
        sim.after(strike.gapUs, ENVIRONMENT_THREAD, Kind.LEADER_STRIKE, run.index, cutAgain);
      });
    };
    cutAgain();
  }

  /** The strike's end: heal what it cut, restart what it crashed; it acts no more. */
  private end(index: number): void {
    const run = this.running.get(index);
    if (run === undefined) return;
    if (run.armed || (run.strike.kind === 'chase' && run.movesLeft > 0)) this.watching--;
    run.armed = false;
    run.movesLeft = 0;
    this.uncut(run);
    if (run.slowed !== null && run.slowed.alive) run.slowed.slowTimers(1);
    run.slowed = null;
    for (const node of [...run.crashed]) this.restart(run, node);
    // A flap cycle scheduled past the end finds run.cut null and the time over: it does nothing.
    run.cutNode = -1;
    this.running.delete(index);
  }

  private replicaOf(node: number, group: number): ShardReplica | undefined {
    const current = this.targets.nodes[node]!.current;
    if (current === null) return undefined;
    for (const r of current.replicas()) if (r.group === group) return r;
    return undefined;
  }
}
