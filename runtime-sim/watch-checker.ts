// The watch checker: a watcher's stream equals the committed history of its
// keys. Two sides feed it, apart from the code they judge:
//
// - the reference: what each node process's shards reported as they applied
//   committed entries, taken at the shard (TappedOutbox in sim-watch-hub.ts),
//   before the change outbox, the ring, the feed, the watch set and the
//   resume tokens that carry a change to a watcher. Kept per process (the
//   node host tells the checker which process served each answer), per
//   group, in log order, with each begin's logId; a group that begins again
//   (a snapshot replaced its shard) leaves a hole the reference knows of.
// - the watcher (watch-client.ts): each live answer, change and end it got.
//
// What must hold, checked at every change and at the end:
// - per group, the matching changes a watch delivers are exactly the
//   reference's matching changes after its start position, in order: the
//   next change delivered is the first matching reference change after the
//   watcher's cursor (else a gap, a duplicate or a wrong change), and every
//   token's position in another group skips no matching change;
// - per key, positions (version, rank) strictly increase;
// - a resumed watch goes on from exactly the token it was given; on another
//   process (the node restarted) only in the same log (logId) and from a
//   position that process's history holds (no earlier than its last begin).
//   The reference learns a begin at the shard, before the node's IO thread
//   does: a resume it served from the history it still had is fine if the
//   begin then ends the watch COMPACTED, so a resume from before the last
//   begin is a violation only once the watch goes on in that group (a
//   change, a token moving on) or is still live at the end;
// - at the end, a watcher that is live has every matching change its node
//   applied more than WATCH_DELIVERY_US_MAX ago.
// A COMPACTED end lets the check restart from the next watch's start.

import { bytesToBinaryString, startsWith } from '../core/bytes.js';
import { comparePositions, endOfEntry, type ChangeKind, type ChangePosition } from '../core/watch/change.js';
import { decodeResumeToken, type TokenPosition } from '../core/watch/resume-token.js';

/** Violations kept in a report (the count goes on). */
const VIOLATIONS_KEPT_MAX = 12;

/**
 * A change its node applied this long before the end must have reached a
 * live watcher: the ring, the IO thread and one link delay take far less
 * (milliseconds); faults have ended long before the final checks.
 */
export const WATCH_DELIVERY_US_MAX = 500_000;

/** One change as the checker compares them: key and value as binary strings. */
export interface CheckedChange {
  readonly group: number;
  readonly index: number;
  readonly seq: number;
  readonly key: string;
  readonly kind: ChangeKind;
  readonly value: string | null;
}

interface RefChange extends CheckedChange {
  readonly keyBytes: Uint8Array;
  readonly appliedUs: number;
}

/** One group's reference in one process: changes in log order, and where reporting (re)began. */
class GroupReference {
  readonly changes: RefChange[] = [];
  /** Each begin's applied index, in order: changes between the previous segment's end and a begin were never reported. */
  readonly begins: number[] = [];
  /** The logId the last begin or identify told (0: none). */
  logId = 0;
  private nextSeqIndex = -1;
  private nextSeq = 0;

  begin(appliedIndex: number, logId: number): void {
    this.begins.push(appliedIndex);
    this.logId = logId;
  }

  add(index: number, kind: ChangeKind, key: Uint8Array, value: Uint8Array | null, group: number, nowUs: number): void {
    if (index !== this.nextSeqIndex) {
      this.nextSeqIndex = index;
      this.nextSeq = 0;
    }
    this.changes.push({
      group, index, seq: this.nextSeq++, key: bytesToBinaryString(key), keyBytes: key.slice(), kind,
      value: value === null ? null : bytesToBinaryString(value), appliedUs: nowUs,
    });
  }

  /** Position of the first change after `after` (binary search). */
  firstAfter(after: ChangePosition): number {
    let lo = 0;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePositions(this.changes[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The index where reporting began again between `from` and `to`, or -1: a
   * hole (changes up to that begin may never have been reported), which a
   * watch must not cross (it ends COMPACTED). A change at or before the
   * begin is of the old segment, still on its way from the ring.
   */
  restartBetween(from: ChangePosition, to: ChangePosition): number {
    for (let i = this.begins.length - 1; i >= 1; i--) {
      const b = this.begins[i]!;
      if (to.index <= b) continue;
      return comparePositions(from, endOfEntry(b)) < 0 ? b : -1;
    }
    return -1;
  }
}

/** What one node process's shards reported (the TappedOutbox's target). */
export class ProcessReference {
  private readonly groups = new Map<number, GroupReference>();

  constructor(private readonly nowUs: () => number) {}

  begin(group: number, appliedIndex: number, logId: number): void {
    this.group(group).begin(appliedIndex, logId);
  }

  /** The group's first entry told its log's identity (no hole: reporting goes on). */
  identify(group: number, logId: number): void {
    this.group(group).logId = logId;
  }

  record(group: number, version: number, kind: ChangeKind, key: Uint8Array, value: Uint8Array | null): void {
    this.group(group).add(version, kind, key, value, group, this.nowUs());
  }

  group(group: number): GroupReference {
    let g = this.groups.get(group);
    if (g === undefined) this.groups.set(group, g = new GroupReference());
    return g;
  }
}

export interface WatchStats {
  sessions: number;
  resumes: number;
  /** Resumes served by another process than the one the window was on (another node, or the node restarted). */
  resumesElsewhere: number;
  compacted: number;
  changes: number;
}

export class WatchChecker {
  readonly violations: string[] = [];
  violationCount = 0;
  readonly stats: WatchStats = { sessions: 0, resumes: 0, resumesElsewhere: 0, compacted: 0, changes: 0 };
  private readonly references = new Map<number, ProcessReference>();
  /** The live window: its process's reference and, per group, the last position checked. */
  private window: {
    reference: ProcessReference;
    process: number;
    cursor: Map<number, ChangePosition>;
    /** Per group, a resume from before the process's last begin: a violation if the watch goes on there (see the header). */
    owed: Map<number, string>;
  } | null = null;
  /** Per key, the last position delivered in the current window. */
  private lastByKey = new Map<string, ChangePosition>();

  constructor(private readonly prefix: Uint8Array) {}

  /** A node process started recording changes: its reference, under its process id. */
  referenceFor(process: number, nowUs: () => number): ProcessReference {
    const reference = new ProcessReference(nowUs);
    this.references.set(process, reference);
    return reference;
  }

  private violation(text: string): void {
    this.violationCount++;
    if (this.violations.length < VIOLATIONS_KEPT_MAX) this.violations.push(text);
  }

  /** Process `process` answered a watch ok with `resume`; `after` is the token it was opened with (null: from now). */
  onLive(resume: string, after: string | null, process: number): void {
    this.stats.sessions++;
    const token = decodeResumeToken(resume);
    if (token === null || token === 'old') return this.violation(`a watch's ok carried a token that does not decode: ${resume}`);
    const reference = this.references.get(process);
    if (reference === undefined) return this.violation(`a watch's ok came from process ${process}, which recorded nothing`);
    if (after !== null) {
      this.stats.resumes++;
      // A resume starts exactly at the token given: the window goes on.
      if (resume !== after) this.violation(`a watch resumed after ${after} answered ok at ${resume}: not where it was asked to resume`);
      if (this.window === null) return this.violation(`a watch resumed after ${after} with no window open`);
      if (this.window.process !== process) this.moveWindow(token.positions, reference, process);
      this.checkSkipped(token.positions);
      return;
    }
    this.window = { reference, process, cursor: new Map(token.positions), owed: new Map() };
    this.lastByKey = new Map();
  }

  /** A change delivered with its token by process `process`. */
  onChange(change: CheckedChange, resume: string, process: number): void {
    this.stats.changes++;
    const window = this.window;
    if (window === null) return this.violation(`a change of ${JSON.stringify(change.key)} at ${change.index}/${change.seq} arrived outside a live watch`);
    if (window.process !== process) return this.violation(`a change from process ${process} while the live watch is on process ${window.process}`);
    const token = decodeResumeToken(resume);
    if (token === null || token === 'old') return this.violation(`a change's token ${resume} does not decode`);
    const g = change.group;
    const at = token.positions.get(g);
    if (at === undefined || at.index !== change.index || at.seq !== change.seq) {
      this.violation(`the token with change ${describe(change)} names ${at ? `${at.index}/${at.seq}` : 'no position'} in group ${g}`);
    }
    const cursor = window.cursor.get(g);
    if (cursor === undefined) return this.violation(`a change of group ${g}, which the watch does not cover: ${describe(change)}`);
    this.payOwed(g, `delivered ${describe(change)}`);
    const group = window.reference.group(g);
    const restart = group.restartBetween(cursor, change);
    if (restart >= 0) this.violation(`group ${g}'s reporting began again at ${restart}, after the watcher's ${cursor.index}/${cursor.seq}, but the watch went on to ${change.index}/${change.seq} (it must end COMPACTED)`);
    const next = this.nextMatching(g, cursor);
    if (comparePositions(change, cursor) <= 0) {
      this.violation(`duplicate or out of order: ${describe(change)} after the watcher had ${cursor.index}/${cursor.seq} of group ${g}`);
    } else if (next === null) {
      this.violation(`a change the node never applied (or not matching): ${describe(change)}`);
    } else if (!sameChange(next, change)) {
      this.violation(comparePositions(next, change) < 0 ? `gap: ${describe(next)} was never delivered (next was ${describe(change)})`
        : `wrong change: expected ${describe(next)}, got ${describe(change)}`);
    }
    const last = this.lastByKey.get(change.key);
    if (last !== undefined && comparePositions(change, last) <= 0) this.violation(`key ${JSON.stringify(change.key)}: ${change.index}/${change.seq} after ${last.index}/${last.seq}`);
    this.lastByKey.set(change.key, change);
    window.cursor.set(g, change);
    this.checkSkipped(token.positions);
  }

  /**
   * A resume served by another process than the window's (the node restarted
   * and the token was portable): only in the same log, from a position its
   * history holds; the window goes on against that process's reference.
   */
  private moveWindow(positions: ReadonlyMap<number, TokenPosition>, reference: ProcessReference, process: number): void {
    const window = this.window!;
    this.stats.resumesElsewhere++;
    window.owed = new Map();
    for (const [g, at] of positions) {
      const group = reference.group(g);
      if (at.index !== 0 && (group.logId === 0 || group.logId !== at.logId)) {
        this.violation(`a token of group ${g}'s log ${at.logId} resumed on process ${process}, whose log is ${group.logId}`);
      }
      const begin = group.begins.at(-1);
      if (begin === undefined || comparePositions(at, endOfEntry(begin)) < 0) {
        window.owed.set(g, `a token at ${g}:${at.index}/${at.seq} resumed on process ${process}, whose history of group ${g} begins at ${begin ?? 'nothing'}`);
      }
    }
    window.reference = reference;
    window.process = process;
  }

  /** A watch ended by the node: COMPACTED restarts the check at the next watch; other codes are findings. */
  onEnd(code: string, message: string): void {
    if (code === 'COMPACTED') {
      this.stats.compacted++;
      this.window = null;
      return;
    }
    this.violation(`the watch ended ${code}: ${message}`);
  }

  /** At the end of the run: a live watcher (`live`) has every matching change applied long enough ago. */
  atEnd(live: boolean, nowUs: number): void {
    const window = this.window;
    if (!live || window === null) return;
    for (const g of [...window.owed.keys()]) this.payOwed(g, 'was still live at the end');
    for (const [g, cursor] of window.cursor) {
      const next = this.nextMatching(g, cursor);
      if (next !== null && next.appliedUs < nowUs - WATCH_DELIVERY_US_MAX) {
        this.violation(`not delivered by the end: ${describe(next)}, applied at ${next.appliedUs}us (now ${nowUs}us)`);
      }
    }
  }

  /** The token moved the watcher's positions: no matching change may lie in between (it was skipped). */
  private checkSkipped(positions: ReadonlyMap<number, ChangePosition>): void {
    const window = this.window!;
    for (const [g, to] of positions) {
      const from = window.cursor.get(g);
      if (from === undefined) continue;
      if (comparePositions(to, from) < 0) this.violation(`group ${g}: a token went back from ${from.index}/${from.seq} to ${to.index}/${to.seq}`);
      if (comparePositions(to, from) > 0) this.payOwed(g, `moved on to ${to.index}/${to.seq}`);
      const restart = window.reference.group(g).restartBetween(from, to);
      if (restart >= 0) this.violation(`group ${g}'s reporting began again at ${restart}, but a token moved the watch over it to ${to.index}/${to.seq} (it must end COMPACTED)`);
      const next = this.nextMatching(g, from);
      if (next !== null && comparePositions(next, to) <= 0) this.violation(`gap: ${describe(next)} was skipped (the token moved to ${to.index}/${to.seq})`);
      window.cursor.set(g, to);
    }
  }

  /** A resume owed a COMPACTED end in group `g` (moveWindow) and the watch went on instead: the violation. */
  private payOwed(g: number, how: string): void {
    const owed = this.window!.owed.get(g);
    if (owed === undefined) return;
    this.window!.owed.delete(g);
    this.violation(`${owed}, and the watch ${how} instead of ending COMPACTED`);
  }

  private nextMatching(g: number, after: ChangePosition): RefChange | null {
    const group = this.window!.reference.group(g);
    for (let i = group.firstAfter(after); i < group.changes.length; i++) {
      const c = group.changes[i]!;
      if (startsWith(c.keyBytes, this.prefix)) return c;
    }
    return null;
  }
}

function sameChange(a: CheckedChange, b: CheckedChange): boolean {
  return a.group === b.group && a.index === b.index && a.seq === b.seq && a.key === b.key && a.kind === b.kind && a.value === b.value;
}

function describe(c: CheckedChange): string {
  const value = c.value === null ? '' : ` ${JSON.stringify(c.value.length > 24 ? `${c.value.slice(0, 24)}...` : c.value)}`;
  return `${c.kind} ${JSON.stringify(c.key)}${value} at ${c.group}:${c.index}/${c.seq}`;
}
