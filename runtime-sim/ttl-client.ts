// The expiry check: a dedicated client sets fresh keys with a TTL and reads
// each back at random times before and after it should expire. It is not
// part of the linearizability history (the register model has no TTL).
//
// Expiry is judged by the owning node's clock (skew and jumps included). A
// request is applied at some node time between the clock's readings when it
// was sent and when its reply came back (the clock never goes backwards), so
// for a key set with TTL T (sent at s0, answered at s1) and a read (sent at
// r0, answered at r1):
// - clock(r1) < clock(s0) + T: the key must still be there, with its value;
// - clock(r0) >= clock(s1) + T: the key must be gone;
// - otherwise either answer is right.
// A restart of the node in between loses the key anyway (no durability), so
// those reads are not judged here.
//
// In a cluster the write's expiry is absolute, stamped by whichever leader
// proposed it: its entry time is some node's clock reading taken between the
// set's send and reply, or an earlier entry's time (entry times only grow),
// so it lies between the lowest of all nodes' clocks at the send and the
// highest at the reply. A read is judged at its leader's read time, likewise
// between the lowest clock at its send and the highest at its reply. The same
// three cases follow with those bounds; storage is durable there, so restarts
// do not excuse a read.
//
// Keys must also be removed from memory by the active sweep, not only hidden
// by lazy expiry: the final check looks for leftover expiring entries once
// every TTL has run out and a few sweep periods have passed.

import { fromUtf8, utf8 } from '../core/bytes.js';
import type { Reply } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import type { ClientSession } from './client-session.js';
import type { TtlSpec } from './config.js';
import { Kind } from './event-kinds.js';
import type { Findings } from './history-recorder.js';
import type { NodeHost } from './node-host.js';
import type { Simulation } from './simulation.js';
import type { LeaderRouter } from './cluster.js';
import type { KeyRoutes } from './topology.js';

export interface TtlStats {
  sets: number;
  setsOk: number;
  reads: number;
  /** Reads that had to find the key, and did. */
  presentChecked: number;
  /** Reads that had to miss the key, and did. */
  absentChecked: number;
  /** Reads close enough to the expiry that either answer was right. */
  ambiguous: number;
  /** Reads not judged (no reply, or the node restarted in between). */
  skipped: number;
}

interface TtlKey {
  key: string;
  value: string;
  ttlMs: number;
  /** The node that owns the key (a lone node's shard); null in a cluster, where each read goes to the key's leader. */
  node: NodeHost | null;
  setSentUs: number;
  setReplyUs: number;
  incarnation: number;
}

/** Redirects the TTL client follows for one key before it gives up on it, and the pause before each (an election's worth of waiting in all). */
const TTL_REDIRECTS_MAX = 20;
const TTL_REDIRECT_PAUSE_US = 20_000;

export class TtlClient {
  readonly stats: TtlStats = { sets: 0, setsOk: 0, reads: 0, presentChecked: 0, absentChecked: 0, ambiguous: 0, skipped: 0 };
  /** Virtual time by which every key set so far has expired on its node's clock (used to time the sweep check). */
  lastExpiryUs = 0;
  private index = 0;
  private redirects = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly session: ClientSession,
    private readonly rng: Random,
    private readonly spec: TtlSpec,
    private readonly nodes: readonly NodeHost[],
    private readonly keys: KeyRoutes,
    private readonly findings: Findings,
    /** Requests sent from here on must be answered (the liveness check). */
    private readonly settleAtUs: number,
    private readonly onDone: () => void,
    /** In a cluster: route to each key's group leader; expiry is judged against the bounds of every node's clock (above). */
    private readonly router: LeaderRouter | null = null,
  ) {}

  /** A request sent after faults settled went unanswered: that is a liveness failure here too. */
  private checkAnswered(what: string, sentUs: number, kind: string): void {
    if (kind !== 'reply' && sentUs >= this.settleAtUs) {
      this.findings.liveness.push(`ttl client ${what}: no reply (${kind}) although sent at ${sentUs}us, after faults settled at ${this.settleAtUs}us`);
    }
  }

  start(): void {
    this.nextKey();
  }

  private nextKey(): void {
    if (this.index >= this.spec.keys) {
      this.onDone();
      return;
    }
    const i = this.index++;
    const key = `ttl${i}`;
    const value = `${key}=v`;
    const ttlMs = this.rng.int(this.spec.ttlMinMs, this.spec.ttlMaxMs);
    const route = this.keys.get(key);
    const node = this.nodes[this.router ? this.router.nodeFor(route.bytes) : route.node]!;
    let sentUs = 0;
    this.stats.sets++;
    this.session.execute(node.index, { op: 'set', key: this.keys.get(key).bytes, value: utf8(value), ttlMs }, () => { sentUs = this.sim.nowUs; }, (outcome) => {
      // Whether or not it was applied, the key expires by then (it cannot have been applied after the reply).
      this.lastExpiryUs = Math.max(this.lastExpiryUs, this.sim.nowUs + ttlMs * 1000);
      this.checkAnswered(`set ${key}`, sentUs, outcome.kind);
      if (this.router && outcome.kind === 'reply' && !outcome.reply.ok && (outcome.reply.code === 'NOT_LEADER' || outcome.reply.code === 'INDETERMINATE')) {
        // Certainly not applied (NOT_LEADER), or unknown: either way the key expires by lastExpiryUs. Follow the leader, a little later.
        this.router.redirected(route.bytes, outcome.reply.leaderHint, this.sim.nowUs);
        if (this.redirects++ < TTL_REDIRECTS_MAX) {
          this.index--;
          this.sim.after(TTL_REDIRECT_PAUSE_US, this.session.thread, Kind.TTL_NEXT, this.index, () => this.nextKey());
          return;
        }
        if (sentUs >= this.settleAtUs) this.findings.liveness.push(`ttl set ${key}: no leader found in ${TTL_REDIRECTS_MAX} tries after faults settled`);
        this.redirects = 0;
        this.nextKey();
        return;
      }
      this.redirects = 0;
      if (outcome.kind !== 'reply' || !outcome.reply.ok) {
        if (outcome.kind === 'reply' && !outcome.reply.ok) this.findings.unexpected.push(`ttl set ${key}: ${outcome.reply.code} ${outcome.reply.message}`);
        this.nextKey();
        return;
      }
      this.stats.setsOk++;
      const k: TtlKey = { key, value, ttlMs, node: this.router ? null : node, setSentUs: sentUs, setReplyUs: this.sim.nowUs, incarnation: node.incarnations };
      // Even keys: half the reads aim before the expiry, half after. Odd
      // keys are only read before: reading after the expiry would remove
      // them lazily, and the sweep check needs keys only the sweep removes.
      const sweepOnly = i % 2 === 1;
      const times: number[] = [];
      for (let r = 0; r < this.spec.readsPerKey; r++) {
        const aimMs = r % 2 === 0 || sweepOnly ? this.rng.int(0, ttlMs) : this.rng.int(ttlMs, 2 * ttlMs);
        times.push(k.setReplyUs + aimMs * 1000);
      }
      times.sort((a, b) => a - b);
      this.readAt(k, times, 0);
    });
  }

  private readAt(k: TtlKey, times: readonly number[], i: number): void {
    const at = times[i];
    if (at === undefined) {
      this.nextKey();
      return;
    }
    this.sim.at(Math.max(at, this.sim.nowUs), this.session.thread, Kind.TTL_NEXT, i, () => {
      let sentUs = 0;
      this.stats.reads++;
      const key = this.keys.get(k.key).bytes;
      const target = k.node?.index ?? this.router!.nodeFor(key);
      this.session.execute(target, { op: 'get', key }, () => { sentUs = this.sim.nowUs; }, (outcome) => {
        this.checkAnswered(`read ${k.key}`, sentUs, outcome.kind);
        if (outcome.kind !== 'reply') this.stats.skipped++;
        else if (this.router && !outcome.reply.ok && outcome.reply.code === 'NOT_LEADER') {
          // A read refused by a non-leader has no effect: skip it and aim the next one at the hinted leader.
          this.router.redirected(key, outcome.reply.leaderHint, this.sim.nowUs);
          this.stats.skipped++;
        } else this.judge(k, sentUs, this.sim.nowUs, outcome.reply);
        this.readAt(k, times, i + 1);
      });
    });
  }

  private judge(k: TtlKey, readSentUs: number, readReplyUs: number, reply: Reply): void {
    if (!reply.ok) {
      this.findings.unexpected.push(`ttl read ${k.key}: ${reply.code} ${reply.message}`);
      return;
    }
    if (k.node !== null && (k.node.incarnations !== k.incarnation || k.node.current === null)) {
      this.stats.skipped++;
      return;
    }
    // A lone node: its own clock. A cluster: the bounds of every node's clock (the header says why).
    const clocks = k.node !== null ? [k.node] : this.nodes;
    const earliestMs = (atUs: number): number => Math.min(...clocks.map((n) => n.clock.nowMs(atUs)));
    const latestMs = (atUs: number): number => Math.max(...clocks.map((n) => n.clock.nowMs(atUs)));
    const expiresAtEarliestMs = earliestMs(k.setSentUs) + k.ttlMs;
    const expiresAtLatestMs = latestMs(k.setReplyUs) + k.ttlMs;
    const readEarliestMs = earliestMs(readSentUs);
    const readLatestMs = latestMs(readReplyUs);
    const where = `ttl key ${k.key} (ttl ${k.ttlMs}ms, set between node times ${expiresAtEarliestMs - k.ttlMs} and ${expiresAtLatestMs - k.ttlMs}; read between ${readEarliestMs} and ${readLatestMs})`;
    if (reply.found === true) {
      const value = reply.value instanceof Uint8Array ? fromUtf8(reply.value) : null;
      if (value !== k.value) this.findings.corruption.push(`${where}: read ${JSON.stringify(value)}, expected ${JSON.stringify(k.value)}`);
      if (readEarliestMs >= expiresAtLatestMs) this.findings.expiry.push(`${where}: still present after it expired`);
      else if (readLatestMs < expiresAtEarliestMs) this.stats.presentChecked++;
      else this.stats.ambiguous++;
      return;
    }
    if (readLatestMs < expiresAtEarliestMs) this.findings.expiry.push(`${where}: gone before it expired`);
    else if (readEarliestMs >= expiresAtLatestMs) this.stats.absentChecked++;
    else this.stats.ambiguous++;
  }
}
