// Faults aimed at Raft leaders (the `leader` fault), as planned from the seed
// before the run: which group, which kind, when, for how long. Who the
// leader is cannot be known in advance, so each strike names a group and is
// resolved when it fires, by looking at the cluster (leader-strikes.ts).
// Random faults rarely line up with an election; these make leader changes
// happen while clients keep working, which is what the classic Raft bugs
// need to show (docs/simulation.md, "Faults aimed at leaders").

import { assert, unreachable } from '../core/assert.js';
import type { Random } from '../core/random.js';

export const STRIKE_KINDS = ['isolate', 'chase', 'crash-after-propose', 'flap'] as const;
export type StrikeKind = (typeof STRIKE_KINDS)[number];

/** How often each kind is drawn (same order as STRIKE_KINDS). */
const STRIKE_WEIGHTS = [3, 3, 2, 2];

/**
 * How much slower an isolated leader's timers may run: enough that the rest
 * elect a leader and commit well before it steps down (their election
 * timeout is 1-2 of its), not so much that the strike ends first.
 */
const TIMER_SLOWDOWN_MIN = 3;
const TIMER_SLOWDOWN_MAX = 8;

/** Strikes per run, at most: a few leader changes per group, not a permanently leaderless cluster. */
const STRIKES_MAX = 5;

interface StrikeBase {
  group: number;
  startUs: number;
  /** Everything the strike did is undone by then (partitions healed, crashed nodes restarted); before quiesce. */
  endUs: number;
}

/**
 * - isolate: cut the group's leader off from the other nodes until endUs;
 *   clients still reach it, but the connections of `resetClients` are reset
 *   as it happens (as a firewall rejecting them would), so those fail over
 *   to another replica at once, while the others may stay with the old leader;
 *   with freezeUs, the leader's workers also stall that long (a GC pause):
 *   the group elects another leader meanwhile, and the old one wakes up
 *   with requests queued that it answers before it hears of the new term;
 *   with timerSlowdown > 1, its Raft timers run that many times slower
 *   until the end (a drifting clock source, timers firing late): its
 *   check-quorum notices late that it lost its majority, so it serves the
 *   clients that stay as a deposed leader for longer, while the others
 *   elect a new one and commit (only ReadIndex keeps its reads fresh);
 * - chase: isolate the leader, and each time a new leader is elected, move
 *   the isolation to it (healing the previous one), `moves` times: at once
 *   (lingerUs 0: its first entries reach nobody), or lingerUs later (two
 *   leaders serve clients meanwhile, one of them deposed without knowing),
 *   or (afterPropose) as soon as it appends a client's entry, which then
 *   reaches nobody: leaders of different terms leave different entries at
 *   the same index, the schedule of the Raft thesis' figure 3.7;
 *   with `restartVoters`, the replicas that voted for the new leader are
 *   crashed and restarted `downUs` later (the vote must survive);
 * - crash-after-propose: the first time the leader appends a client's entry,
 *   it is cut off at once (the entry reaches nobody) and crashed, restarted
 *   `downUs` later;
 * - flap: node `node` loses its peers for cutUs, gets them back for gapUs,
 *   over and over (a flapping link: the case pre-vote exists for).
 */
export type LeaderStrike =
  | (StrikeBase & { kind: 'isolate'; resetClients: number[]; freezeUs: number; timerSlowdown: number })
  | (StrikeBase & { kind: 'chase'; moves: number; afterPropose: boolean; lingerUs: number; restartVoters: boolean; downUs: number })
  | (StrikeBase & { kind: 'crash-after-propose'; downUs: number; machineDown: boolean })
  | (StrikeBase & { kind: 'flap'; node: number; cutUs: number; gapUs: number });

export interface StrikePlanInput {
  quiesceAtUs: number;
  nodes: number;
  clientHosts: readonly number[];
  groups: number;
  /** The election timeout (electionTicks ticks) in µs: strikes last a few of them, long enough for elections. */
  electionUs: number;
  tickUs: number;
  /** How long clients wait for a reply. */
  clientTimeoutUs: number;
}

export function planLeaderStrikes(rng: Random, input: StrikePlanInput): LeaderStrike[] {
  const { quiesceAtUs: q, electionUs: e, tickUs } = input;
  assert(e > tickUs && tickUs > 0, 'an election timeout is several ticks');
  const strikes: LeaderStrike[] = [];
  for (let i = rng.int(1, STRIKES_MAX); i > 0; i--) {
    const kind = STRIKE_KINDS[rng.weighted(STRIKE_WEIGHTS)]!;
    const group = rng.int(0, input.groups - 1);
    // Draw the kind's knobs first: its span decides how early it must start to end before quiesce.
    const knobs = strikeKnobs(kind, rng, input);
    const startUs = rng.int(0, Math.max(0, q - knobs.spanUs - 2));
    // Strictly before quiesce: a restart the strike schedules for its end must run before quiesce checks that every node is up.
    strikes.push({ ...knobs.strike, group, startUs, endUs: Math.min(q - 1, startUs + knobs.spanUs) } as LeaderStrike);
  }
  strikes.sort((a, b) => a.startUs - b.startUs);
  return strikes;
}

/** A strike without its group and times (distributes over the union, unlike Omit). */
type StrikeKnobs<S = LeaderStrike> = S extends LeaderStrike ? Omit<S, keyof StrikeBase> : never;
type KindKnobs = { spanUs: number; strike: StrikeKnobs };

function strikeKnobs(kind: StrikeKind, rng: Random, input: StrikePlanInput): KindKnobs {
  const { electionUs: e, tickUs } = input;
  switch (kind) {
    case 'isolate': {
      const timerSlowdown = rng.chance(0.5) ? rng.int(TIMER_SLOWDOWN_MIN, TIMER_SLOWDOWN_MAX) : 1;
      // Slowed, it resets nobody: the clients that fail over leave it when their requests time out, and those
      // that stay keep reading from it, a deposed leader for most of the strike.
      const resetClients = timerSlowdown > 1 ? [] : input.clientHosts.filter(() => rng.chance(0.5));
      // Shorter than a client's timeout when it can be: a read queued at the frozen leader must still count when answered.
      const freezeUs = rng.chance(0.5) ? rng.int(e, Math.max(e, Math.min(3 * e, input.clientTimeoutUs))) : 0;
      // Slowed, it lasts until about when the old leader's check-quorum would notice: the others elect and commit meanwhile.
      const spanUs = timerSlowdown > 1 ? rng.int(2 * e, (timerSlowdown + 1) * e) : rng.int(e, 4 * e);
      return { spanUs: freezeUs + spanUs, strike: { kind, resetClients, freezeUs, timerSlowdown } };
    }
    case 'chase': {
      const moves = rng.int(1, 4);
      const afterPropose = rng.chance(0.4);
      const lingerUs = afterPropose || rng.chance(0.5) ? 0 : rng.int(tickUs, 2 * e);
      const strike = { kind, moves, afterPropose, lingerUs, restartVoters: rng.chance(0.5), downUs: rng.int(tickUs, e) };
      return { spanUs: (moves + 1) * (3 * e + lingerUs), strike };
    }
    case 'crash-after-propose': {
      const downUs = rng.int(tickUs, 3 * e);
      // Armed for a few election timeouts; the restart must fit before the end as well.
      return { spanUs: 4 * e + downUs, strike: { kind, downUs, machineDown: rng.chance(0.5) } };
    }
    case 'flap': {
      const cycles = rng.int(2, 6);
      const cutUs = rng.int(2 * e, 6 * e);
      const gapUs = rng.int(tickUs, e);
      return { spanUs: cycles * (cutUs + gapUs), strike: { kind, node: rng.int(0, input.nodes - 1), cutUs, gapUs } };
    }
    default:
      return unreachable(kind, 'strike kind');
  }
}

/** One line per strike, for the report. */
export function describeStrike(s: LeaderStrike, span: string): string {
  switch (s.kind) {
    case 'isolate':
      return `isolate the leader of g${s.group} ${span}${s.freezeUs > 0 ? `, its workers frozen ${s.freezeUs}us` : ''}${s.timerSlowdown > 1 ? `, its timers ${s.timerSlowdown}x slow` : ''}${s.resetClients.length > 0 ? `, resetting the connections of hosts ${s.resetClients.join(',')}` : ''}`;
    case 'chase':
      return `chase the leader of g${s.group} ${span} through ${s.moves} new leaders${s.afterPropose ? ' once each proposes' : ''}${s.lingerUs > 0 ? ` (${s.lingerUs}us behind)` : ''}${s.restartVoters ? `, restarting their voters (down ${s.downUs}us)` : ''}`;
    case 'crash-after-propose':
      return `crash the leader of g${s.group} right after it proposes, armed ${span} (${s.machineDown ? 'machine down' : 'process crash'}, down ${s.downUs}us)`;
    case 'flap':
      return `flap n${s.node}'s peer links ${span}: cut ${s.cutUs}us, joined ${s.gapUs}us`;
    default:
      return unreachable(s, 'strike kind');
  }
}
