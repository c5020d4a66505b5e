// The simulator's watch checker (runtime-sim/watch-checker.ts): fed by hand,
// it passes a stream equal to the reference and names each way a stream can
// differ (gap, duplicate, wrong value, a token skipping a change, a resume
// elsewhere than asked); in whole simulated runs with every fault, the
// watcher is cut off and resumes, and its stream checks out.
// (Caught as a planted bug in the change outbox: test/sim/cluster-mutations.test.ts.)

import { describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.js';
import { encodeResumeToken } from '../../core/watch/resume-token.js';
import { FAULT_NAMES } from '../../runtime-sim/fault-plan.js';
import { formatRun } from '../../runtime-sim/report.js';
import { runSeed } from '../../runtime-sim/run-seed.js';
import { WatchChecker, type CheckedChange } from '../../runtime-sim/watch-checker.js';

/** The process serving the watch, and the log of its groups. */
const HISTORY = 7;
const LOG = 9;
const token = (positions: [number, number, number][]): string =>
  encodeResumeToken({ positions: new Map(positions.map(([g, index, seq]) => [g, { logId: LOG, index, seq }])) });

/** A checker with a reference of group 0: k1 set at 5, x set at 6 (not matching `k`), k2 set and k1 deleted at 7. */
function checker(): WatchChecker {
  const c = new WatchChecker(utf8('k'));
  const ref = c.referenceFor(HISTORY, () => 0);
  ref.begin(0, 4, LOG);
  ref.begin(1, 4, LOG);
  ref.record(0, 5, 'set', utf8('k1'), utf8('a'));
  ref.record(0, 6, 'set', utf8('x'), utf8('b'));
  ref.record(0, 7, 'set', utf8('k2'), utf8('c'));
  ref.record(0, 7, 'delete', utf8('k1'), null);
  return c;
}

const k1 = (): CheckedChange => ({ group: 0, index: 5, seq: 0, key: 'k1', kind: 'set', value: 'a' });
const k2 = (): CheckedChange => ({ group: 0, index: 7, seq: 0, key: 'k2', kind: 'set', value: 'c' });
const k1Gone = (): CheckedChange => ({ group: 0, index: 7, seq: 1, key: 'k1', kind: 'delete', value: null });
const START = token([[0, 4, 0xffff_ffff], [1, 4, 0xffff_ffff]]);

describe('watch checker', () => {
  it('passes the reference stream, across a resume and a COMPACTED restart', () => {
    const c = checker();
    c.onLive(START, null, HISTORY);
    c.onChange(k1(), token([[0, 5, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    // Resumed after the last token: the window goes on (x at 6 skipped: it does not match).
    c.onLive(token([[0, 5, 0], [1, 4, 0xffff_ffff]]), token([[0, 5, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    c.onChange(k2(), token([[0, 7, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    c.onChange(k1Gone(), token([[0, 7, 1], [1, 4, 0xffff_ffff]]), HISTORY);
    c.onEnd('COMPACTED', 'history restarted');
    c.onLive(token([[0, 7, 1], [1, 4, 0xffff_ffff]]), null, HISTORY);
    c.atEnd(true, 10_000_000);
    expect(c.violations).toEqual([]);
    expect(c.stats).toEqual({ sessions: 3, resumes: 1, resumesElsewhere: 0, compacted: 1, changes: 3 });
  });

  it('names a gap, a duplicate, a wrong value and a token that skips a change', () => {
    const gap = checker();
    gap.onLive(START, null, HISTORY);
    gap.onChange(k2(), token([[0, 7, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    expect(gap.violations[0]).toMatch(/^gap: set "k1" "a" at 0:5\/0 was never delivered/);

    const dup = checker();
    dup.onLive(START, null, HISTORY);
    dup.onChange(k1(), token([[0, 5, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    dup.onChange(k1(), token([[0, 5, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    expect(dup.violations[0]).toMatch(/^duplicate or out of order: set "k1"/);

    const wrong = checker();
    wrong.onLive(START, null, HISTORY);
    wrong.onChange({ ...k1(), value: 'z' }, token([[0, 5, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    expect(wrong.violations[0]).toMatch(/^wrong change: expected set "k1" "a"/);

    const skipped = checker();
    skipped.onLive(START, null, HISTORY);
    skipped.onChange(k1(), token([[0, 5, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    skipped.onLive(token([[0, 7, 0], [1, 4, 0xffff_ffff]]), token([[0, 7, 0], [1, 4, 0xffff_ffff]]), HISTORY);
    expect(skipped.violations).toEqual([expect.stringMatching(/^gap: set "k2" "c" at 0:7\/0 was skipped/)]);
  });

  it('names a watch that goes on over a restart of its group\'s reporting (it must end COMPACTED)', () => {
    const c = new WatchChecker(utf8(''));
    const ref = c.referenceFor(HISTORY, () => 0);
    ref.begin(0, 4, LOG);
    ref.record(0, 5, 'set', utf8('a'), utf8('1'));
    ref.begin(0, 9, LOG);
    ref.record(0, 10, 'set', utf8('b'), utf8('2'));
    c.onLive(token([[0, 4, 0xffff_ffff]]), null, HISTORY);
    // The old segment's change, still on its way from the ring after the new begin: fine.
    c.onChange({ group: 0, index: 5, seq: 0, key: 'a', kind: 'set', value: '1' }, token([[0, 5, 0]]), HISTORY);
    expect(c.violations).toEqual([]);
    c.onChange({ group: 0, index: 10, seq: 0, key: 'b', kind: 'set', value: '2' }, token([[0, 10, 0]]), HISTORY);
    expect(c.violations).toEqual([expect.stringMatching(/^group 0's reporting began again at 9, after the watcher's 5\/0/)]);
  });

  it('names a resume answered elsewhere than asked, one on another process of another log or past its history, and a change never delivered by the end', () => {
    const c = checker();
    c.onLive(START, null, HISTORY);
    c.onLive(token([[0, 5, 0], [1, 4, 0xffff_ffff]]), START, HISTORY);
    expect(c.violations[0]).toMatch(/not where it was asked to resume/);


    const elsewhere = checker();
    elsewhere.onLive(START, null, HISTORY);
    const restarted = elsewhere.referenceFor(HISTORY + 1, () => 0);
    restarted.begin(0, 6, LOG + 1);
    restarted.begin(1, 4, LOG);
    elsewhere.onLive(START, START, HISTORY + 1);
    expect(elsewhere.violations).toEqual([expect.stringMatching(/^a token of group 0's log 9 resumed on process 8, whose log is 10/)]);

    // From before the process's last begin: fine while the begin then ends the watch COMPACTED (the node's IO
    // thread learns of a begin after the shard, and may serve a resume from the history it still has) ...
    const compactedAfter = checker();
    compactedAfter.onLive(START, null, HISTORY);
    const restartedAgain = compactedAfter.referenceFor(HISTORY + 1, () => 0);
    restartedAgain.begin(0, 6, LOG);
    restartedAgain.begin(1, 4, LOG);
    compactedAfter.onLive(START, START, HISTORY + 1);
    compactedAfter.onEnd('COMPACTED', 'group 0\'s change history restarted at index 6');
    expect(compactedAfter.violations).toEqual([]);
    // ... and a violation once the watch goes on in that group instead.
    const goesOn = checker();
    goesOn.onLive(START, null, HISTORY);
    const snapshotted = goesOn.referenceFor(HISTORY + 1, () => 0);
    snapshotted.begin(0, 6, LOG);
    snapshotted.begin(1, 4, LOG);
    snapshotted.record(0, 7, 'set', utf8('k2'), utf8('c'));
    goesOn.onLive(START, START, HISTORY + 1);
    expect(goesOn.violations).toEqual([]);
    goesOn.onChange(k2(), token([[0, 7, 0], [1, 4, 0xffff_ffff]]), HISTORY + 1);
    expect(goesOn.violations).toEqual([expect.stringMatching(
      /^a token at 0:4\/4294967295 resumed on process 8, whose history of group 0 begins at 6, and the watch delivered set "k2"/)]);

    const late = checker();
    late.onLive(START, null, HISTORY);
    late.atEnd(true, 10_000_000);
    expect(late.violations[0]).toMatch(/^not delivered by the end: set "k1"/);
  });
});

describe('the watcher in whole simulated runs (every fault)', () => {
  it('a lone node and a 3-node cluster: the stream equals the committed history, across reconnects and resumes on other nodes', () => {
    let changes = 0;
    let connects = 0;
    let compacted = 0;
    let elsewhere = 0;
    for (const [seed, cluster] of [[1, false], [2, false], [1, true], [2, true]] as const) {
      const run = runSeed({ seed, nodes: cluster ? 3 : 1, ...(cluster ? { groups: 4 } : {}), faults: FAULT_NAMES, ops: 400 });
      expect(run.failures, formatRun(run).join('\n')).toEqual([]);
      expect(run.watch).not.toBeNull();
      changes += run.watch!.changes;
      connects += run.watch!.connects;
      compacted += run.watch!.compacted;
      elsewhere += run.watch!.resumesElsewhere;
    }
    // The checks had something to judge: changes, broken streams, restarts.
    expect(changes).toBeGreaterThan(200);
    expect(connects).toBeGreaterThan(4);
    expect(compacted).toBeGreaterThan(0);
    // The watcher goes to the next node at each reconnect: tokens were resumed on other replicas.
    expect(elsewhere).toBeGreaterThan(0);
  }, 120_000);
});
