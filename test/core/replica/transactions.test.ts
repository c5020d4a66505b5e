// Transactions through a replicated shard group under faults (the seeded
// harness of replica-group.ts: 3 replicas, messages lost, duplicated and
// reordered, partitions, crashes and restarts with only synced state kept).
// Clients run transactions that read keys a and b and then write one fresh
// tag to both, half of them WATCHing a's version first. A transaction is one
// log entry, so its writes carry its index as their version, and a read
// names the index of the transaction it saw: the serial order is the index
// order, and the checks below hold it to the history.
//
// 1. Atomic: every committed transaction read a and b written by the same
//    transaction (same tag, same version); never half of one.
// 2. Reads see the latest transaction before them: between the index a
//    transaction read and its own index, no transaction applied.
// 3. Linearizable: a transaction that returned before another was invoked
//    has the lower index; a transaction never reads one invoked after it
//    returned, nor one that failed (not leader) or was aborted.
// 4. WATCH: a committed watched transaction read exactly the version it
//    watched (nothing changed a in between); aborts happen.
// 5. Replicas agree (same digest at the same index); after healing, a and
//    b hold the tag of the highest-indexed transaction.

import { describe, expect, it } from 'vitest';
import type { Reply, TxRequest } from '../../../core/protocol/ops.js';
import { Random } from '../../../core/random.js';
import type { ReplicaId } from '../../../core/raft/raft-types.js';
import { randomStep, ReplicaGroupRun } from './replica-group.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const A = encoder.encode('{t}a');
const B = encoder.encode('{t}b');
/** Ticks a client waits for an outcome before it records the transaction as unknown (info). */
const TIMEOUT_TICKS = 60;
/** Harness steps per seed: enough for dozens of commits among the faults. */
const STEPS = 10_000;

interface TxRecord {
  tag: string;
  invokeTick: number;
  returnTick: number | null;
  outcome: 'ok' | 'aborted' | 'fail' | 'info' | null;
  /** The transaction's index (its writes' version), when committed. */
  index: number | null;
  read: { a: { tag: string | null; version: number }; b: { tag: string | null; version: number } } | null;
  /** The version of a it watched; null: no watch. */
  watched: number | null;
}

interface Client { busy: boolean; target: ReplicaId }

function readOf(reply: Reply | undefined): { tag: string | null; version: number } {
  if (reply === undefined || !reply.ok || !reply.found) return { tag: null, version: 0 };
  return { tag: decoder.decode(reply.value!), version: reply.version! };
}

function runSeed(seed: number, steps: number): { txs: TxRecord[]; problems: string[] } {
  const run = new ReplicaGroupRun({ seed, clients: 0, keys: 0, snapshotEveryEntries: 40 });
  const rand = Random.fromSeed(seed * 7919 + 11);
  const txs: TxRecord[] = [];
  const clients: Client[] = Array.from({ length: 4 }, () => ({ busy: false, target: rand.pick(run.ids) }));
  const open: { tx: TxRecord; client: Client; deadline: number }[] = [];
  let nextTag = 0;
  const probes: { done: boolean; deadline: number; client: Client }[] = [];

  const finish = (client: Client, tx: TxRecord, outcome: TxRecord['outcome']): void => {
    if (tx.outcome !== null) return;
    tx.outcome = outcome;
    tx.returnTick = outcome === 'info' ? null : run.tick;
    client.busy = false;
  };

  const propose = (client: Client, tx: TxRecord): void => {
    const replica = run.replica(client.target);
    if (!replica) { client.busy = false; client.target = rand.pick(run.ids); return; }
    const value = encoder.encode(tx.tag);
    const request: TxRequest = {
      op: 'tx',
      ops: [{ op: 'get', key: A }, { op: 'get', key: B }, { op: 'set', key: A, value }, { op: 'set', key: B, value }],
      watch: tx.watched === null ? [] : [{ key: A, version: tx.watched }],
    };
    txs.push(tx);
    open.push({ tx, client, deadline: run.tick + TIMEOUT_TICKS });
    replica.propose(request, run.nowMs(client.target), (outcome) => {
      if (outcome.kind === 'notLeader') {
        client.target = outcome.leader !== 0 ? outcome.leader : rand.pick(run.ids);
        return finish(client, tx, 'fail');
      }
      if (outcome.kind === 'unknown') return finish(client, tx, 'info');
      const reply = outcome.reply;
      if (!reply.ok) throw new Error(`transaction ${tx.tag} refused: ${reply.code} ${reply.message}`);
      if (reply.found === false) return finish(client, tx, 'aborted');
      const replies = reply.replies!;
      tx.read = { a: readOf(replies[0]), b: readOf(replies[1]) };
      tx.index = (replies[2] as { version: number }).version;
      if ((replies[3] as { version: number }).version !== tx.index) throw new Error(`${tx.tag}: its two writes got different versions`);
      finish(client, tx, 'ok');
    });
  };

  const clientStep = (): void => {
    const client = rand.pick(clients);
    if (client.busy) return;
    client.busy = true;
    const tx: TxRecord = { tag: `t${nextTag++}`, invokeTick: run.tick, returnTick: null, outcome: null, index: null, read: null, watched: null };
    if (!rand.chance(0.5)) return propose(client, tx);
    // WATCH a: read its version first (a linearizable read), then propose with it.
    const replica = run.replica(client.target);
    if (!replica) { client.busy = false; client.target = rand.pick(run.ids); return; }
    // A read whose replica crashed never answers: the client gives up on it (nothing recorded).
    const probe = { done: false, deadline: run.tick + TIMEOUT_TICKS, client };
    probes.push(probe);
    replica.read({ op: 'get', key: A }, (outcome) => {
      if (probe.done) return;
      probe.done = true;
      if (outcome.kind !== 'reply' || !outcome.reply.ok) {
        if (outcome.kind === 'notLeader') client.target = outcome.leader !== 0 ? outcome.leader : rand.pick(run.ids);
        client.busy = false;
        return;
      }
      tx.watched = readOf(outcome.reply).version;
      // Answered inside the replica's process(): propose once it returned.
      run.afterProcess(() => {
        tx.invokeTick = run.tick;
        propose(client, tx);
      });
    });
  };

  for (let step = 0; step < steps; step++) {
    const tick = run.tick;
    randomStep(run, rand, clientStep);
    if (run.tick === tick) continue;
    for (const o of open) if (o.tx.outcome === null && run.tick >= o.deadline) { finish(o.client, o.tx, 'info'); o.client.target = rand.pick(run.ids); }
    for (const p of probes) if (!p.done && run.tick >= p.deadline) { p.done = true; p.client.busy = false; p.client.target = rand.pick(run.ids); }
  }
  run.heal();
  for (const id of run.ids) if (!run.replica(id)) run.restart(id);
  for (let t = 0; t < 60; t++) { run.tickAll(); run.deliverAll(); }
  for (const o of open) if (o.tx.outcome === null) finish(o.client, o.tx, 'info');

  const problems = [...run.divergence(), ...checkTransactions(txs)];
  // The healed group's final state: a and b hold the tag of the highest-indexed transaction.
  const leader = run.ids.find((id) => run.replica(id)?.isLeader());
  if (leader === undefined) problems.push('no leader after healing');
  else {
    const shard = run.replica(leader)!.shard;
    const a = readOf(shard.read({ op: 'get', key: A }, run.nowMs(leader)));
    const b = readOf(shard.read({ op: 'get', key: B }, run.nowMs(leader)));
    if (a.tag !== b.tag || a.version !== b.version) problems.push(`final state is half a transaction: a=${a.tag}@${a.version} b=${b.tag}@${b.version}`);
    const last = txs.filter((t) => t.index !== null).sort((x, y) => y.index! - x.index!)[0];
    if (last !== undefined && a.version < last.index!) problems.push(`final a is at version ${a.version}, below committed ${last.tag}@${last.index}`);
  }
  return { txs, problems };
}

/** Checks 1-4 of the header over the recorded transactions. */
function checkTransactions(txs: TxRecord[]): string[] {
  const problems: string[] = [];
  const byTag = new Map(txs.map((t) => [t.tag, t]));
  // Index of every applied transaction: its own reply's, or learned from a read that saw it.
  const indexOf = new Map<string, number>();
  for (const t of txs) if (t.index !== null) indexOf.set(t.tag, t.index);
  for (const t of txs) {
    if (t.read === null) continue;
    const { a, b } = t.read;
    if (a.tag !== b.tag || a.version !== b.version) problems.push(`${t.tag} read half a transaction: a=${a.tag}@${a.version} b=${b.tag}@${b.version}`);
    if (a.tag === null) continue;
    const seen = byTag.get(a.tag);
    if (seen === undefined) { problems.push(`${t.tag} read ${a.tag}, which nobody wrote`); continue; }
    if (seen.outcome === 'fail' || seen.outcome === 'aborted') problems.push(`${t.tag} read ${a.tag}, which ${seen.outcome === 'fail' ? 'failed (not leader)' : 'was aborted'}`);
    const known = indexOf.get(a.tag);
    if (known !== undefined && known !== a.version) problems.push(`${a.tag} has index ${known} but ${t.tag} read it at version ${a.version}`);
    indexOf.set(a.tag, a.version);
    if (t.returnTick !== null && seen.invokeTick > t.returnTick) problems.push(`${t.tag} read ${a.tag}, invoked after it returned`);
  }
  const applied = [...indexOf.entries()].map(([tag, index]) => ({ tag, index })).sort((x, y) => x.index - y.index);
  for (const t of txs) {
    if (t.index === null || t.read === null) continue;
    const between = applied.find((x) => x.index > t.read!.a.version && x.index < t.index!);
    if (between) problems.push(`${t.tag}@${t.index} read version ${t.read.a.version}, but ${between.tag}@${between.index} applied in between`);
    if (t.watched !== null && t.read.a.version !== t.watched) problems.push(`${t.tag} committed though a moved from the watched version ${t.watched} to ${t.read.a.version}`);
  }
  const done = txs.filter((t) => t.outcome === 'ok');
  for (const x of done) for (const y of done) {
    if (x.returnTick! < y.invokeTick && x.index! > y.index!) problems.push(`${x.tag}@${x.index} returned before ${y.tag}@${y.index} was invoked, yet comes after it`);
  }
  return problems;
}

describe('transactions in a replicated group under faults', () => {
  it.each([1, 2, 3, 4, 5, 6])('seed %i: atomic, in index order, linearizable, WATCH honoured; replicas agree', (seed) => {
    const { txs, problems } = runSeed(seed, STEPS);
    expect(problems).toEqual([]);
    const count = (outcome: TxRecord['outcome']): number => txs.filter((t) => t.outcome === outcome).length;
    // The run exercised what it checks: commits, and (across seeds, below) aborts and unknown outcomes.
    expect(count('ok')).toBeGreaterThan(15);
  });

  it('across the seeds, WATCH aborted some transactions and faults left some outcomes unknown', () => {
    const all = [1, 2, 3, 4, 5, 6].flatMap((seed) => runSeed(seed, STEPS).txs);
    expect(all.filter((t) => t.outcome === 'aborted').length).toBeGreaterThan(0);
    expect(all.filter((t) => t.outcome === 'info').length).toBeGreaterThan(0);
    expect(all.filter((t) => t.watched !== null && t.outcome === 'ok').length).toBeGreaterThan(0);
  });
});
