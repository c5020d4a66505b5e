// Network partitions as data: which directed host pairs cannot talk. Hosts
// are the topology's endpoints (nodes and clients). Partitions may overlap,
// so each directed pair keeps a count of the partitions blocking it.

import { assert, unreachable } from '../core/assert.js';
import type { Random } from '../core/random.js';

export const PARTITION_KINDS = ['symmetric', 'asymmetric', 'isolate-node', 'majority-minority'] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];

/** Directed pairs [from, to] that cannot deliver. */
export type BlockedPairs = readonly (readonly [number, number])[];

export class PartitionTable {
  private readonly counts: Int32Array;
  private blockedTotal = 0;

  constructor(readonly hostCount: number) {
    assert(Number.isInteger(hostCount) && hostCount >= 1, 'need at least one host');
    this.counts = new Int32Array(hostCount * hostCount);
  }

  blocked(from: number, to: number): boolean {
    return this.blockedTotal > 0 && this.counts[from * this.hostCount + to]! > 0;
  }

  block(pairs: BlockedPairs): void {
    for (const [from, to] of pairs) {
      this.counts[from * this.hostCount + to]!++;
      this.blockedTotal++;
    }
  }

  unblock(pairs: BlockedPairs): void {
    for (const [from, to] of pairs) {
      const i = from * this.hostCount + to;
      assert(this.counts[i]! > 0, 'unblocking a pair that is not blocked');
      this.counts[i]!--;
      this.blockedTotal--;
    }
  }

  get anyBlocked(): boolean {
    return this.blockedTotal > 0;
  }
}

/** Every directed pair from a host in `a` to a host in `b`. */
function across(a: readonly number[], b: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (const x of a) for (const y of b) pairs.push([x, y]);
  return pairs;
}

/** One partition: hosts on side `a` cannot reach side `b` (and, unless oneWay, the other way round). */
export interface PartitionShape {
  a: number[];
  b: number[];
  oneWay: boolean;
  pairs: BlockedPairs;
}

/**
 * A partition of the given kind:
 * - symmetric: hosts split in two random non-empty sides, no traffic across;
 * - asymmetric: a random split where only one direction is cut (requests
 *   arrive, replies do not, or the other way round);
 * - isolate-node: one node cut off from every other host;
 * - majority-minority: nodes split into a majority and a minority side,
 *   clients scattered over both.
 */
export function makePartition(kind: PartitionKind, rng: Random, nodeHosts: readonly number[], clientHosts: readonly number[]): PartitionShape {
  const all = [...nodeHosts, ...clientHosts];
  const both = (a: number[], b: number[]): PartitionShape => ({ a, b, oneWay: false, pairs: [...across(a, b), ...across(b, a)] });
  switch (kind) {
    case 'symmetric': {
      const [a, b] = randomSplit(rng, all);
      return both(a, b);
    }
    case 'asymmetric': {
      const [a, b] = randomSplit(rng, all);
      return { a, b, oneWay: true, pairs: across(a, b) };
    }
    case 'isolate-node': {
      const node = rng.pick(nodeHosts);
      return both([node], all.filter((h) => h !== node));
    }
    case 'majority-minority': {
      const nodes = shuffled(rng, nodeHosts);
      const minoritySize = Math.floor(nodes.length / 2);
      const minority = nodes.slice(0, minoritySize);
      const majority = nodes.slice(minoritySize);
      for (const c of clientHosts) (rng.chance(0.5) ? minority : majority).push(c);
      return both(minority, majority);
    }
    default:
      return unreachable(kind, 'partition kind');
  }
}

/**
 * One node cut off from the other nodes (both ways) while clients still
 * reach it: a leader that keeps serving the clients on its side of a
 * partition while the rest of its group moves on.
 */
export function isolateFromPeers(node: number, nodeHosts: readonly number[]): PartitionShape {
  assert(nodeHosts.includes(node), 'isolating a node that is not a node');
  const others = nodeHosts.filter((h) => h !== node);
  return { a: [node], b: others, oneWay: false, pairs: [...across([node], others), ...across(others, [node])] };
}

function shuffled(rng: Random, items: readonly number[]): number[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Two non-empty sides (when there are at least two hosts). */
function randomSplit(rng: Random, hosts: readonly number[]): [number[], number[]] {
  const order = shuffled(rng, hosts);
  if (order.length < 2) return [order, []];
  const cut = rng.int(1, order.length - 1);
  return [order.slice(0, cut).sort((x, y) => x - y), order.slice(cut).sort((x, y) => x - y)];
}
