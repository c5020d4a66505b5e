// The simulated network on its own: datagram faults (for the future
// node-to-node transport) and stream (TCP) semantics for client links.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { Network, type DatagramFaults } from '../../runtime-sim/network.js';
import { PartitionTable, makePartition, PARTITION_KINDS } from '../../runtime-sim/partitions.js';
import { Simulation } from '../../runtime-sim/simulation.js';

const DELAY = { baseUs: 100, tailMeanUs: 300, tailCapUs: 5_000 };

function world(seed: number, faults?: Partial<DatagramFaults>) {
  const sim = new Simulation();
  const partitions = new PartitionTable(4);
  const network = new Network(sim, Random.fromSeed(seed), partitions, DELAY);
  network.datagramFaults = { dropP: 0, dupP: 0, reorderP: 0, reorderMaxUs: 0, ...faults };
  const threads = [sim.addThread('h0'), sim.addThread('h1'), sim.addThread('h2'), sim.addThread('h3')];
  return { sim, partitions, network, threads };
}

/** Sends n numbered datagrams from host 0 to host 1, one every 10 µs; returns what arrived, in order. */
function sendDatagrams(w: ReturnType<typeof world>, n: number, duplicable = true): number[] {
  const got: number[] = [];
  for (let i = 0; i < n; i++) {
    w.sim.at(i * 10, 0, 1, i, () => w.network.sendDatagram(0, 1, w.threads[1]!, (m: number) => got.push(m), i, duplicable));
  }
  w.sim.run(10_000_000);
  return got;
}

describe('datagrams', () => {
  it('without faults arrive exactly once each (possibly reordered by independent delays)', () => {
    const got = sendDatagrams(world(1), 500);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('are duplicated with probability dupP, only when duplicable', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 9 }), (seed, tenths) => {
      const p = tenths / 10;
      const w = world(seed, { dupP: p });
      const got = sendDatagrams(w, 400);
      const extra = got.length - 400;
      expect(new Set(got).size).toBe(400);
      expect(extra).toBe(w.network.stats.datagramsDuplicated);
      // Binomial(400, p): 5 standard deviations either way.
      const sd = Math.sqrt(400 * p * (1 - p));
      expect(Math.abs(extra - 400 * p)).toBeLessThan(5 * sd + 1);
      expect(sendDatagrams(world(seed, { dupP: p }), 400, false).length).toBe(400);
    }), { numRuns: 10 });
  });

  it('are dropped with probability dropP', () => {
    const w = world(2, { dropP: 0.3 });
    const got = sendDatagrams(w, 1000);
    expect(got.length).toBe(1000 - w.network.stats.datagramsDropped);
    expect(w.network.stats.datagramsDropped).toBeGreaterThan(230);
    expect(w.network.stats.datagramsDropped).toBeLessThan(370);
  });

  it('are reordered, more so with the reorder fault', () => {
    const inversions = (xs: number[]): number => xs.reduce((n, x, i) => n + (i > 0 && x < xs[i - 1]! ? 1 : 0), 0);
    const plain = inversions(sendDatagrams(world(3), 500));
    const reordered = inversions(sendDatagrams(world(3, { reorderP: 0.5, reorderMaxUs: 20_000 }), 500));
    expect(plain).toBeGreaterThan(0);
    expect(reordered).toBeGreaterThan(plain);
  });

  it('are lost while a partition cuts the way, and flow again after the heal', () => {
    const w = world(4);
    w.partitions.block([[0, 1]]);
    expect(sendDatagrams(w, 50)).toEqual([]);
    expect(w.network.stats.datagramsBlocked).toBe(50);
    w.partitions.unblock([[0, 1]]);
    const got: number[] = [];
    w.network.sendDatagram(0, 1, w.threads[1]!, (m: number) => got.push(m), 1, false);
    w.network.sendDatagram(1, 0, w.threads[0]!, (m: number) => got.push(m), 2, false);
    w.sim.run(Number.MAX_SAFE_INTEGER);
    expect(got.sort()).toEqual([1, 2]);
  });

  it('stop being faulty once faults are switched off (quiesce)', () => {
    const w = world(5, { dropP: 0.5, dupP: 0.5 });
    w.network.faultsActive = false;
    expect(sendDatagrams(w, 200).length).toBe(200);
  });
});

describe('streams (client connections, TCP semantics)', () => {
  function streamWorld(seed: number) {
    const w = world(seed);
    const stream = w.network.openStream<number, number>(2, w.threads[2]!, 0, w.threads[0]!);
    const atNode: number[] = [];
    const atClient: number[] = [];
    stream.onNodeReceive = (m) => atNode.push(m);
    stream.onClientReceive = (m) => atClient.push(m);
    return { ...w, stream, atNode, atClient };
  }

  it('deliver in order, even when the receiver is frozen at random times', () => {
    fc.assert(fc.property(fc.nat(), (seed) => {
      const w = streamWorld(seed);
      const rng = Random.fromSeed(seed);
      let t = 0;
      for (let i = 0; i < 200; i++) {
        t += rng.int(0, 50);
        w.sim.at(t, 0, 1, i, () => w.stream.sendToNode(i));
        if (rng.chance(0.05)) w.sim.at(t, 0, 1, i, () => w.sim.freeze(w.threads[0]!, w.sim.nowUs + rng.int(1, 3_000)));
      }
      w.sim.run(Number.MAX_SAFE_INTEGER);
      expect(w.atNode).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }), { numRuns: 20 });
  });

  it('stall at a partition and resume in order after the heal', () => {
    const w = streamWorld(6);
    const pairs = [[2, 0], [0, 2]] as const;
    w.sim.at(0, 0, 1, 0, () => w.partitions.block(pairs));
    for (let i = 0; i < 20; i++) w.sim.at(i * 100, 0, 1, i, () => w.stream.sendToNode(i));
    w.sim.at(50_000, 0, 1, 0, () => {
      expect(w.atNode).toEqual([]);
      w.partitions.unblock(pairs);
      w.network.healed();
    });
    w.sim.run(Number.MAX_SAFE_INTEGER);
    expect(w.atNode).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(w.network.stats.streamStalls).toBeGreaterThan(0);
  });

  it('lose everything in flight on a reset, and tell the other side (unless a partition eats the RST)', () => {
    const w = streamWorld(7);
    let clientNotified = 0;
    let nodeNotified = 0;
    w.stream.onClientReset = () => clientNotified++;
    w.stream.onNodeReset = () => nodeNotified++;
    for (let i = 0; i < 10; i++) w.stream.sendToNode(i);
    w.stream.sendToClient(99);
    w.stream.reset('network');
    w.stream.sendToNode(100);
    w.sim.run(Number.MAX_SAFE_INTEGER);
    expect(w.atNode).toEqual([]);
    expect(w.atClient).toEqual([]);
    expect([clientNotified, nodeNotified]).toEqual([1, 1]);

    const cut = streamWorld(8);
    let told = 0;
    cut.stream.onClientReset = () => told++;
    cut.partitions.block([[0, 2]]);
    cut.stream.reset('node');
    cut.sim.run(Number.MAX_SAFE_INTEGER);
    expect(told).toBe(0);
  });
});

describe('partitions', () => {
  it('cut exactly the pairs between the sides, one way for asymmetric ones', () => {
    fc.assert(fc.property(fc.nat(), fc.constantFrom(...PARTITION_KINDS), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), (seed, kind, nodes, clients) => {
      const nodeHosts = Array.from({ length: nodes }, (_, i) => i);
      const clientHosts = Array.from({ length: clients }, (_, i) => nodes + i);
      const shape = makePartition(kind, Random.fromSeed(seed), nodeHosts, clientHosts);
      const table = new PartitionTable(nodes + clients);
      table.block(shape.pairs);
      for (const a of shape.a) {
        for (const b of shape.b) {
          expect(table.blocked(a, b)).toBe(true);
          expect(table.blocked(b, a)).toBe(!shape.oneWay);
        }
      }
      expect(shape.a.some((h) => shape.b.includes(h))).toBe(false);
      if (kind === 'isolate-node') expect(shape.a.length === 1 && shape.a[0]! < nodes).toBe(true);
      table.unblock(shape.pairs);
      expect(table.anyBlocked).toBe(false);
    }), { numRuns: 100 });
  });
});
