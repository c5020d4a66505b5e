// Decides how replicas move when the set of nodes changes (add-node,
// remove-node), one Raft membership change at a time per group, as
// CockroachDB's replicate queue does: pure, no I/O; the mover
// (replica-mover.ts) reads every group's configuration, asks this module
// for the next steps, carries them out and asks again, until none is left.
//
// The target: every group has exactly `replicas` voters, all on the target
// nodes (`nodes`: the members that stay, the joining one included), no
// learners, and every target node holds between floor and ceil of
// groups·replicas / nodes replicas. A group gets there by these steps, the
// first that applies (so a step never takes a group below `replicas`
// voters, and its quorum is never at the mercy of a replica that has not
// caught up):
//
//   1. a learner on a node outside the target: remove it;
//   2. a learner on a target node: promote it to voter (the mover first
//      waits until it has caught up with the leader's commit index);
//   3. fewer than `replicas` voters on target nodes: add a learner on the
//      least loaded target node the group lacks;
//   4. a voter on a node outside the target: if it leads, transfer
//      leadership to another voter first; then remove it;
//   5. more voters than `replicas`: remove the one on the most loaded node
//      (transferring leadership first if it leads);
//   6. balance: a group on an over-loaded node, when some target node it
//      lacks is under-loaded, adds a learner there (steps 2 and 5 finish
//      the move).
//
// Removal happens only while the group keeps `replicas` voters on target
// nodes (step 4 waits for step 3), so a voter leaves only after its
// replacement voted in; each step is a single-server change, so any two
// successive majorities overlap (docs/consensus.md). Steps 3 and 6 are
// bounded by `movesMax` new learners per call, so a large change streams
// snapshots a few at a time.

export interface GroupConfig {
  readonly group: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** The leader's node id (0 while unknown: then the group gets no step). */
  readonly leader: number;
}

export type MoveStep =
  | { readonly kind: 'addLearner'; readonly group: number; readonly node: number }
  | { readonly kind: 'promote'; readonly group: number; readonly node: number }
  | { readonly kind: 'transferLeader'; readonly group: number; readonly node: number }
  | { readonly kind: 'remove'; readonly group: number; readonly node: number };

/** New learners per planning round by default: each streams a snapshot and the log to its node. */
export const MOVES_MAX_DEFAULT = 2;

export interface PlanInput {
  readonly groups: readonly GroupConfig[];
  /** The nodes every replica should end on (sorted or not). */
  readonly nodes: readonly number[];
  readonly replicas: number;
  readonly movesMax?: number;
}

/** The next step of each group that needs one (at most one per group), in group order. */
export function planMoves(input: PlanInput): MoveStep[] {
  const { groups, replicas } = input;
  const nodes = [...input.nodes].sort((a, b) => a - b);
  if (replicas < 1 || replicas > nodes.length) throw new RangeError(`replicas ${replicas} must be in 1..${nodes.length} (the target nodes)`);
  const target = new Set(nodes);
  const load = new Map(nodes.map((n) => [n, 0]));
  for (const g of groups) for (const n of [...g.voters, ...g.learners]) if (load.has(n)) load.set(n, load.get(n)! + 1);
  const total = groups.length * replicas;
  const floor = Math.floor(total / nodes.length);
  const ceil = Math.ceil(total / nodes.length);
  let newLearners = 0;
  const movesMax = input.movesMax ?? MOVES_MAX_DEFAULT;
  const leastLoaded = (exclude: readonly number[]): number | undefined =>
    nodes.filter((n) => !exclude.includes(n)).sort((a, b) => load.get(a)! - load.get(b)! || a - b)[0];
  const addLearner = (g: GroupConfig, node: number): MoveStep => {
    newLearners++;
    load.set(node, load.get(node)! + 1);
    return { kind: 'addLearner', group: g.group, node };
  };
  /** Remove `node` from `g`, handing leadership to another target voter first if it leads. */
  const removeVoter = (g: GroupConfig, node: number): MoveStep | null => {
    if (g.leader === node) {
      const heir = g.voters.filter((v) => v !== node && target.has(v)).sort((a, b) => load.get(a)! - load.get(b)! || a - b)[0];
      return heir === undefined ? null : { kind: 'transferLeader', group: g.group, node: heir };
    }
    if (load.has(node)) load.set(node, load.get(node)! - 1);
    return { kind: 'remove', group: g.group, node };
  };

  const steps: MoveStep[] = [];
  for (const g of groups) {
    if (g.leader === 0) continue;
    const step = stepOf(g);
    if (step !== null) steps.push(step);
  }
  return steps;

  function stepOf(g: GroupConfig): MoveStep | null {
    const outsider = g.learners.find((n) => !target.has(n));
    if (outsider !== undefined) return { kind: 'remove', group: g.group, node: outsider };
    if (g.learners.length > 0) return { kind: 'promote', group: g.group, node: g.learners[0]! };
    const kept = g.voters.filter((n) => target.has(n));
    if (kept.length < replicas) {
      const node = leastLoaded(g.voters);
      return node === undefined || newLearners >= movesMax ? null : addLearner(g, node);
    }
    const leaving = g.voters.find((n) => !target.has(n));
    if (leaving !== undefined) return removeVoter(g, leaving);
    if (g.voters.length > replicas) {
      const busiest = [...g.voters].sort((a, b) => load.get(b)! - load.get(a)! || (a === g.leader ? 1 : 0) - (b === g.leader ? 1 : 0) || b - a)[0]!;
      return removeVoter(g, busiest);
    }
    if (newLearners >= movesMax) return null;
    const over = g.voters.some((n) => load.get(n)! > ceil);
    const under = leastLoaded(g.voters);
    const overAnyway = g.voters.some((n) => load.get(n)! > floor);
    if (under !== undefined && load.get(under)! < floor && (over || overAnyway)) return addLearner(g, under);
    if (under !== undefined && over && load.get(under)! < ceil) return addLearner(g, under);
    return null;
  }
}

/** Whether `groups` already are where `planMoves` wants them (no step left, every leader known). */
export function movesDone(input: PlanInput): boolean {
  return input.groups.every((g) => g.leader !== 0) && planMoves({ ...input, movesMax: Number.POSITIVE_INFINITY }).length === 0;
}
