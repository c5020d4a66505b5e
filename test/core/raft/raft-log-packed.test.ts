// A restart hands Raft its log packed (core/raft/packed-entries.ts: terms and
// data offsets in typed arrays, an Entry made only when asked for). The log
// must read and change exactly as one restored from plain entries: the same
// random operations (appends that conflict, commits, applies, compaction,
// slices) on both, every observable compared after each.

import { describe, expect, it } from 'vitest';
import { PackedEntries, storedEntryArray } from '../../../core/raft/packed-entries.js';
import { RaftLog } from '../../../core/raft/raft-log.js';
import type { Entry } from '../../../core/raft/raft-types.js';
import { Random } from '../../../core/random.js';

function packedOf(entries: readonly Entry[], first: number): PackedEntries {
  // One payload per entry run, as records are: the data copied in, the run pointing into it.
  const run = new PackedEntries(first);
  const bytes = new Uint8Array(entries.reduce((n, e) => n + e.data.length, 0) + 3);
  const id = run.addPayload(bytes);
  let at = 3;
  for (const e of entries) {
    bytes.set(e.data, at);
    run.push(e.term, e.kind, id, at, at + e.data.length);
    at += e.data.length;
  }
  return run;
}

function observe(log: RaftLog): unknown {
  const lo = log.firstIndex();
  const hi = log.lastIndex();
  const terms: (number | undefined)[] = [];
  for (let i = lo - 1; i <= hi + 1; i++) terms.push(log.term(i));
  const show = (es: Entry[]): string[] => es.map((e) => `${e.index}:${e.term}:${e.kind}:${[...e.data].join('.')}`);
  return {
    lo, hi, lastTerm: log.lastTerm(), count: log.entryCount, committed: log.committed, applied: log.applied, stable: log.stableIndex, terms,
    all: hi >= lo ? show(log.slice(lo, hi, Infinity, Infinity)) : [], toApply: show(log.entriesToApply()), unstable: show(log.unstableEntries()),
  };
}

describe('raft log restored from packed entries', () => {
  it('reads and changes exactly as one restored from plain entries', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = Random.fromSeed(seed);
      const base = random.int(0, 5);
      const entries: Entry[] = [];
      let term = 1 + random.int(0, 2);
      const count = random.int(0, 12);
      for (let i = 0; i < count; i++) {
        term += random.int(0, 1);
        entries.push({ index: base + 1 + i, term, kind: random.int(0, 5) === 0 ? 'conf' : 'normal', data: new Uint8Array(random.int(0, 4)).fill(i + 1) });
      }
      const committed = base + random.int(0, entries.length);
      const plain = new RaftLog({ index: base, term: 1 }, entries, committed);
      const packed = new RaftLog({ index: base, term: 1 }, packedOf(entries, base + 1), committed);
      expect(observe(packed), `seed ${seed}`).toEqual(observe(plain));
      for (let step = 0; step < 30; step++) {
        const op = random.int(0, 3);
        for (const log of [plain, packed]) {
          if (op === 0 && log.lastIndex() >= log.firstIndex()) {
            // A follower's append from some matching point, possibly conflicting above the commit.
            const prev = Math.max(log.committed, log.firstIndex() - 1);
            const prevTerm = log.term(prev)!;
            const t = Math.max(prevTerm, log.lastTerm()) + (step % 2);
            log.tryAppend(prev, prevTerm, [{ index: prev + 1, term: t, kind: 'normal', data: new Uint8Array([step]) }]);
            log.stableTo(log.lastIndex(), log.lastTerm());
          } else if (op === 1) {
            log.commitTo(Math.min(log.lastIndex(), log.committed + 2));
          } else if (op === 2) {
            log.appliedTo(Math.min(log.committed, log.stableIndex));
          } else {
            log.compact(Math.max(log.firstIndex() - 1, log.applied - (step % 3)));
          }
        }
        expect(observe(packed), `seed ${seed} step ${step}`).toEqual(observe(plain));
      }
    }
  });

  it('keeps the storage\'s run as loaded while the log trims its own', () => {
    const entries: Entry[] = [1, 2, 3].map((i) => ({ index: i, term: 1, kind: 'normal', data: new Uint8Array([i]) }));
    const run = packedOf(entries, 1);
    const log = new RaftLog({ index: 0, term: 0 }, run, 3);
    log.appliedTo(3);
    log.compact(2);
    expect(log.entryCount).toBe(1);
    expect(storedEntryArray(run)).toEqual(entries);
  });
});
