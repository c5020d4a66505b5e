// A leader applies its own entries from the commands it proposed (proposeHeld,
// core/replica/held-commands.ts) instead of decoding them back: the table
// answers only for the index and term it was given and only until process()
// ends, the held path is taken by a group of one, and it changes nothing a
// client or another replica can see (same replies, same state digest, same
// log bytes as decoding).

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { Reply, Request, SetRequest } from '../../../core/protocol/ops.js';
import { Random } from '../../../core/random.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import type { Entry } from '../../../core/raft/raft-types.js';
import { decodeEntryPayload } from '../../../core/replica/entry-codec.js';
import { HeldCommands } from '../../../core/replica/held-commands.js';
import type { ShardReplica } from '../../../core/replica/shard-replica.js';
import type { Proposal } from '../../../core/shard/command.js';
import { LONE_REPLICA_ID, loneGroups, startGroupReplica } from '../../../core/shard/group-replica.js';

const LIMITS = makeLimits();
const NOW = 1_000_000;
const enc = new TextEncoder();
const set = (key: string, value: string): SetRequest => ({ op: 'set', key: enc.encode(key), value: enc.encode(value) });

/** Keeps every entry the replica stores, to compare what reaches the log. */
class RecordingStorage extends MemoryRaftStorage {
  readonly appended: Entry[] = [];
  override appendEntries(entries: readonly Entry[]): void {
    this.appended.push(...entries);
    super.appendEntries(entries);
  }
}

function lone(storage: MemoryRaftStorage): ShardReplica {
  return startGroupReplica(loneGroups([0])[0]!, LONE_REPLICA_ID, LIMITS, storage, Random.fromSeed(1), NOW);
}

describe('HeldCommands', () => {
  const noOutcome = (): void => {};

  it('holds one run of consecutive indexes of one term, and hands each write out once', () => {
    const held = new HeldCommands();
    const a = set('a', '1');
    const b = set('b', '2');
    expect(held.continues(5, 2)).toBe(true);
    held.add(5, 2, a, 100, noOutcome, 7);
    expect(held.continues(6, 2)).toBe(true);
    held.add(6, 2, b, 101, noOutcome, 8);
    expect(held.continues(9, 2)).toBe(false); // an entry (a conf change) came between
    expect(held.continues(7, 3)).toBe(false); // a new term
    expect(held.slot(4)).toBe(-1);
    expect(held.slot(7)).toBe(-1);
    const slot = held.slot(6);
    expect(held.commandAt(slot)).toBe(b);
    expect(held.timestampMsAt(slot)).toBe(101);
    expect(held.tagAt(slot)).toBe(8);
    expect(held.waitingCount).toBe(2);
    expect(held.take(slot)).toBe(noOutcome);
    expect(held.slot(6)).toBe(-1); // taken
    expect(held.waitingCount).toBe(1);
    held.clear();
    expect(held.slot(5)).toBe(-1);
    expect(held.waitingCount).toBe(0);
    expect(held.continues(42, 9)).toBe(true);
  });
});

describe('a group of one applies its own entries from the held commands', () => {
  it('takes the held command, not the decoded bytes, within the process() that follows', () => {
    // The contract of proposeHeld is that the bytes stay unchanged until process(); changing them
    // shows which copy was applied: the held one (the log keeps what was encoded at propose).
    const storage = new RecordingStorage();
    const replica = lone(storage);
    const request = { op: 'set' as const, key: enc.encode('k'), value: enc.encode('before') };
    const replies: Reply[] = [];
    replica.proposeHeld(request, NOW, (o) => { if (o.kind === 'reply') replies.push(o.reply); });
    expect(replica.pendingCount).toBe(1);
    request.value.set(enc.encode('AFTER!'));
    replica.process(NOW);
    expect(replies).toHaveLength(1);
    expect(replica.pendingCount).toBe(0);
    const got = replica.shard.read({ op: 'get', key: enc.encode('k') }, NOW);
    expect(got.ok && got.value && new TextDecoder().decode(got.value)).toBe('AFTER!');
    const logged = decodeEntryPayload(storage.appended.at(-1)!.data, 0).command;
    expect(logged.op === 'set' && new TextDecoder().decode(logged.value)).toBe('before');
  });

  it('decodes when the entry is applied after the process() that followed its proposal', () => {
    const storage = new RecordingStorage();
    const replica = lone(storage);
    replica.proposeHeld(set('k', 'v1'), NOW, () => {});
    replica.process(NOW);
    // A plain propose is never held: its entry is decoded (and applies the same).
    replica.propose(set('k', 'v2'), NOW, () => {});
    replica.process(NOW);
    const got = replica.shard.read({ op: 'get', key: enc.encode('k') }, NOW);
    expect(got.ok && got.value && new TextDecoder().decode(got.value)).toBe('v2');
  });

  it('gives the same replies, state and log as decoding, over every kind of write', () => {
    const random = Random.fromSeed(9);
    const key = (): Uint8Array => enc.encode(`k${random.int(0, 7)}`);
    const value = (): Uint8Array => enc.encode('v'.repeat(random.int(0, 120)));
    const writes: (() => Request)[] = [
      () => ({ op: 'set', key: key(), value: value() }),
      () => ({ op: 'set', key: key(), value: value(), ttlMs: random.int(1, 50) }),
      () => ({ op: 'set', key: key(), value: value(), ifAbsent: true, returnPrevious: true }),
      () => ({ op: 'del', key: key() }),
      () => ({ op: 'incr', key: enc.encode(`n${random.int(0, 2)}`), delta: 3n }),
      () => ({ op: 'append', key: key(), value: value() }),
      () => ({ op: 'expire', key: key(), ttlMs: random.int(1, 50) }),
      () => ({ op: 'getEx', key: key(), persist: true }),
      () => ({ op: 'setRange', key: key(), offset: random.int(0, 10), value: value() }),
      () => ({ op: 'mset', entries: [{ key: key(), value: value() }, { key: key(), value: value() }] }),
      () => ({ op: 'tx', ops: [{ op: 'set', key: key(), value: value(), ttlMs: 20 }, { op: 'get', key: key() }], watch: [] }),
    ];
    const heldStorage = new RecordingStorage();
    const plainStorage = new RecordingStorage();
    const held = lone(heldStorage);
    const plain = lone(plainStorage);
    const heldReplies: unknown[] = [];
    const plainReplies: unknown[] = [];
    let now = NOW;
    for (let batch = 0; batch < 60; batch++) {
      now += random.int(0, 20);
      for (let i = random.int(1, 12); i > 0; i--) {
        const request = writes[random.int(0, writes.length - 1)]!() as Proposal;
        held.proposeHeld(request, now, (o, tag) => heldReplies.push([tag, o]), batch);
        plain.propose(request, now, (o, tag) => plainReplies.push([tag, o]), batch);
      }
      held.process(now);
      plain.process(now);
    }
    expect(heldReplies.length).toBeGreaterThan(300);
    expect(heldReplies).toEqual(plainReplies);
    expect(held.shard.digest()).toBe(plain.shard.digest());
    expect(held.shard.appliedIndex).toBe(plain.shard.appliedIndex);
    expect(heldStorage.appended).toEqual(plainStorage.appended);
  });
});
