// Model-based test of the shard state machine (core/shard/shard.ts), fed by
// its log of one (core/shard/local-log.ts) as a worker feeds it: random
// command sequences over a small key alphabet (so commands collide), run
// against the real shard and the reference model in shard-model.ts. Beyond
// the replies, every step checks that reads leave the state's digest alone
// and that the applied index is the model's count of writes. The same
// sequences also run with every request and reply passing through the ring
// codec, as they do in the server.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits, type Limits } from '../../core/limits.js';
import type { OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { validateRequest } from '../../core/protocol/validate.js';
import { ByteWriter } from '../../core/ring/byte-writer.js';
import {
  decodeReplyRecord, decodeRequestRecord, encodeReplyRecord, encodeRequestRecord,
} from '../../core/ring/ring-codec.js';
import { b, latin1 } from './bytes-helpers.js';
import { LocalShard } from './local-shard.js';
import {
  describeRequest, INT64_MAX, INT64_MIN, modelHandle, modelIsWrite, settle, ShardModel,
} from './shard-model.js';

/**
 * Small limits so that the value limit (APPEND), the MGET frame limit and the
 * SCAN page-size cut are all reachable with short random sequences.
 */
const LIMITS: Limits = makeLimits({ keyBytesMax: 16, valueBytesMax: 64, frameBytesMax: 120 });

interface Real {
  shard: LocalShard;
  handle(req: Request, nowMs: number): Reply;
}

function directReal(): Real {
  const shard = new LocalShard(0, LIMITS);
  return { shard, handle: (req, nowMs) => shard.handle(req, nowMs) };
}

/** Requests and replies go through the ring record codec, as between IO thread and worker. */
function codecReal(): Real {
  const shard = new LocalShard(0, LIMITS);
  const w = new ByteWriter(64);
  return {
    shard,
    handle(req, nowMs) {
      w.reset();
      encodeRequestRecord(w, 7, 3, req);
      const record = decodeRequestRecord(w.bytes(), 0, w.length);
      expect(record.tag).toBe(7);
      expect(record.shard).toBe(3);
      const reply = shard.handle(record.request, nowMs);
      const out = new ByteWriter(16);
      encodeReplyRecord(out, 9, reply);
      const decoded = decodeReplyRecord(out.bytes(), 0, out.length);
      expect(decoded.tag).toBe(9);
      return decoded.reply;
    },
  };
}

// ---- arbitraries ----------------------------------------------------------

/** Few distinct bytes, including 0x00 and 0xff to catch non-bytewise ordering. */
const KEY_BYTES = [0x61, 0x00, 0xff, 0x62];
/** Mostly one of 12 short keys (so commands collide), sometimes one of 84. */
const arbKey = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...KEY_BYTES.slice(0, 3)), { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...KEY_BYTES), { minLength: 1, maxLength: 3 }) },
).map((a) => Uint8Array.from(a));
const arbPrefix = fc.array(fc.constantFrom(...KEY_BYTES), { minLength: 0, maxLength: 2 }).map((a) => Uint8Array.from(a));

const INTERESTING_VALUES = [
  '0', '1', '-1', '42', '9223372036854775807', '9223372036854775806', '-9223372036854775808', '-9223372036854775807',
  '9223372036854775808', '01', '+1', ' 1', '1 ', '-0', '1.5', '-2.5e3', '.5', '1e308', '1.7976931348623157e308',
  '-1.7976931348623157e308', 'abc', '', 'inf', 'NaN',
];
const arbValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...INTERESTING_VALUES).map(b) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 40, maxLength: 64 }) },
);
const arbDelta = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, 2n, -2n, 100n, INT64_MAX, INT64_MIN, INT64_MAX - 1n, INT64_MIN + 1n),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);
const arbFloatDelta = fc.oneof(
  fc.constantFrom(0.1, -0.1, 1.5, 3, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 0, 1e21, 1e-7),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A time to live, relative to the model's clock when the command runs. */
type TtlSpec = { kind: 'ttl'; ms: number } | { kind: 'at'; offsetMs: number };
const arbTtl: fc.Arbitrary<TtlSpec> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((ms): TtlSpec => ({ kind: 'ttl', ms })),
  // Offsets <= 0 are "in the past": the key expires at once.
  fc.integer({ min: -10, max: 40 }).map((offsetMs): TtlSpec => ({ kind: 'at', offsetMs })),
);
function ttlFields(spec: TtlSpec, m: ShardModel): { ttlMs?: number; expireAtMs?: number } {
  return spec.kind === 'ttl' ? { ttlMs: spec.ms } : { expireAtMs: m.nowMs + spec.offsetMs };
}

/** CAS versions are chosen when the command runs: right, wrong, or 0 ("must be absent"). */
type CasSpec = 'right' | 'wrong' | 'zero';
const arbCas: fc.Arbitrary<CasSpec> = fc.constantFrom('right', 'wrong', 'zero');
function casVersion(spec: CasSpec, m: ShardModel, key: Uint8Array): number {
  const cur = m.live(latin1(key));
  const have = cur ? cur.version : 0;
  switch (spec) {
    case 'right': return have;
    case 'wrong': return have + 1 + (m.lastVersion % 3);
    case 'zero': return 0;
  }
}

// ---- commands ---------------------------------------------------------------

type Cmd = fc.Command<ShardModel, Real>;

/**
 * Run one request on both sides and compare. `clockBackMs` hands the real
 * shard a clock reading that far behind the model's (a clock that jumped
 * back): the log must stamp the entry, and the read judge expiry, no earlier
 * than before, so the model's time still holds.
 */
function runOp(m: ShardModel, r: Real, req: Request, clockBackMs = 0): Reply {
  expect(validateRequest(req, LIMITS), `generated an invalid request ${describeRequest(req)}`).toBeNull();
  const write = modelIsWrite(req);
  const digestBefore = write ? '' : r.shard.shard.digest();
  const expected = modelHandle(m, req);
  const actual = r.handle(req, m.nowMs - clockBackMs);
  settle(m, req, expected, actual);
  if (!write) expect(r.shard.shard.digest(), `${describeRequest(req)} is a read and changed the state`).toBe(digestBefore);
  expect(r.shard.shard.appliedIndex, 'one log entry per write').toBe(m.index);
  if (write) expect(r.shard.shard.appliedTimestampMs, 'entry time is the model\'s time').toBe(m.nowMs);
  // The shard must have copied what it keeps: scribbling over the request's
  // buffers (ring memory in the server) must not change stored data.
  if ('value' in req) req.value.fill(0x55);
  if (req.op === 'mset') for (const e of req.entries) e.value.fill(0x55);
  checkSize(m, r);
  return actual;
}

/** Stored entries: at least the live ones, at most what the model may still hold. */
function checkSize(m: ShardModel, r: Real): void {
  const live = m.liveKeys().length;
  expect(r.shard.size).toBeGreaterThanOrEqual(live);
  expect(r.shard.size).toBeLessThanOrEqual(m.entries.size);
  expect(r.shard.expiringSize).toBeLessThanOrEqual(r.shard.size);
}

class OpCommand implements Cmd {
  constructor(readonly label: string, readonly build: (m: ShardModel) => Request) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void { runOp(m, r, this.build(m)); }
  toString(): string { return this.label; }
}

const k = (key: Uint8Array): string => JSON.stringify(latin1(key));

const getCmd = arbKey.map((key) => new OpCommand(`get ${k(key)}`, () => ({ op: 'get', key })));
const existsCmd = arbKey.map((key) => new OpCommand(`exists ${k(key)}`, () => ({ op: 'exists', key })));
const ttlCmd = arbKey.map((key) => new OpCommand(`ttl ${k(key)}`, () => ({ op: 'ttl', key })));

const setCmd = fc.record({
  key: arbKey,
  value: arbValue,
  condition: fc.constantFrom('none', 'ifAbsent', 'ifPresent'),
  cas: fc.option(arbCas, { nil: undefined }),
  ttl: fc.oneof(fc.constant('none' as const), fc.constant('keep' as const), arbTtl),
  returnPrevious: fc.boolean(),
}).map((s) => new OpCommand(`set ${JSON.stringify({ ...s, key: latin1(s.key), value: latin1(s.value) })}`, (m) => {
  const req: Request = { op: 'set', key: s.key, value: s.value.slice() };
  if (s.condition === 'ifAbsent') req.ifAbsent = true;
  if (s.condition === 'ifPresent') req.ifPresent = true;
  if (s.cas !== undefined) req.expectedVersion = casVersion(s.cas, m, s.key);
  if (s.ttl === 'keep') req.keepTtl = true;
  else if (s.ttl !== 'none') Object.assign(req, ttlFields(s.ttl, m));
  if (s.returnPrevious) req.returnPrevious = true;
  return req;
}));

const delCmd = fc.record({ key: arbKey, cas: fc.option(arbCas, { nil: undefined }), returnPrevious: fc.boolean() })
  .map((s) => new OpCommand(`del ${JSON.stringify({ ...s, key: latin1(s.key) })}`, (m) => {
    const req: Request = { op: 'del', key: s.key };
    if (s.cas !== undefined) req.expectedVersion = casVersion(s.cas, m, s.key);
    if (s.returnPrevious) req.returnPrevious = true;
    return req;
  }));

const incrCmd = fc.record({ key: arbKey, delta: arbDelta })
  .map(({ key, delta }) => new OpCommand(`incr ${k(key)} by ${delta}`, () => ({ op: 'incr', key, delta })));
const incrFloatCmd = fc.record({ key: arbKey, delta: arbFloatDelta })
  .map(({ key, delta }) => new OpCommand(`incrFloat ${k(key)} by ${delta}`, () => ({ op: 'incrFloat', key, delta })));
const appendCmd = fc.record({ key: arbKey, value: arbValue })
  .map(({ key, value }) => new OpCommand(`append ${k(key)} ${k(value)}`, () => ({ op: 'append', key, value: value.slice() })));

const expireCmd = fc.record({ key: arbKey, ttl: fc.option(arbTtl, { nil: undefined }) })
  .map(({ key, ttl }) => new OpCommand(`expire ${k(key)} ${JSON.stringify(ttl ?? 'persist')}`, (m) => (
    ttl ? { op: 'expire', key, ...ttlFields(ttl, m) } : { op: 'expire', key })));

const getRangeCmd = fc.record({ key: arbKey, start: fc.integer({ min: -30, max: 30 }), end: fc.integer({ min: -30, max: 30 }) })
  .map(({ key, start, end }) => new OpCommand(`getRange ${k(key)} ${start} ${end}`, () => ({ op: 'getRange', key, start, end })));

const setRangeCmd = fc.record({ key: arbKey, offset: fc.integer({ min: 0, max: 30 }), value: fc.uint8Array({ maxLength: 8 }) })
  .map(({ key, offset, value }) => new OpCommand(`setRange ${k(key)} ${offset} ${k(value)}`, () => ({ op: 'setRange', key, offset, value: value.slice() })));

const getExCmd = fc.record({ key: arbKey, mode: fc.oneof(fc.constant('plain' as const), fc.constant('persist' as const), arbTtl) })
  .map(({ key, mode }) => new OpCommand(`getEx ${k(key)} ${JSON.stringify(mode)}`, (m): Request => {
    if (mode === 'plain') return { op: 'getEx', key };
    if (mode === 'persist') return { op: 'getEx', key, persist: true };
    return { op: 'getEx', key, ...ttlFields(mode, m) };
  }));

const mgetCmd = fc.array(arbKey, { minLength: 1, maxLength: 6 })
  .map((keys) => new OpCommand(`mget ${keys.map(k).join(' ')}`, () => ({ op: 'mget', keys })));

class MSetCommand implements Cmd {
  constructor(private readonly entries: { key: Uint8Array; value: Uint8Array }[], private readonly ifNoneExist: boolean) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const req: Request = { op: 'mset', entries: this.entries.map((e) => ({ key: e.key, value: e.value.slice() })) };
    if (this.ifNoneExist) req.ifNoneExist = true;
    const reply = runOp(m, r, req);
    if (!reply.ok || reply.found === false) return;
    // One entry wrote every key: they all carry its index as their version.
    for (const e of this.entries) {
      const got = r.handle({ op: 'get', key: e.key }, m.nowMs) as OkReply;
      expect(got.version).toBe(reply.version);
    }
  }
  toString(): string {
    return `mset${this.ifNoneExist ? ' ifNoneExist' : ''} ${this.entries.map((e) => `${k(e.key)}=${k(e.value)}`).join(' ')}`;
  }
}
const msetCmd = fc.record({
  entries: fc.array(fc.record({ key: arbKey, value: arbValue }), { minLength: 1, maxLength: 4 }),
  ifNoneExist: fc.boolean(),
}).map(({ entries, ifNoneExist }) => new MSetCommand(entries, ifNoneExist));

class AdvanceTime implements Cmd {
  constructor(private readonly ms: number) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    m.nowMs += this.ms;
    checkSize(m, r);
  }
  toString(): string { return `advance ${this.ms}ms`; }
}
const advanceCmd = fc.integer({ min: 0, max: 30 }).map((ms) => new AdvanceTime(ms));

/** A request handed a clock reading behind the model's time: the clock jumped back. */
class ClockBackCommand implements Cmd {
  constructor(private readonly inner: OpCommand, private readonly backMs: number) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    // The shard judges at the latest time it has used, if the clock is behind it.
    const modelNowMs = m.nowMs;
    const usedMs = Math.max(modelNowMs - this.backMs, m.timeFloorMs);
    m.nowMs = usedMs;
    try {
      runOp(m, r, this.inner.build(m), usedMs - (modelNowMs - this.backMs));
    } finally {
      m.nowMs = modelNowMs;
    }
  }
  toString(): string { return `${this.inner.label} with the clock ${this.backMs}ms back`; }
}

/** A sweep step on the real shard; one that removes anything is one entry in the log. */
function sweep(m: ShardModel, r: Real, budget: number): number {
  const deleted = r.shard.sweepExpired(m.nowMs, budget);
  m.timeFloorMs = Math.max(m.timeFloorMs, m.nowMs);
  if (deleted > 0) m.index++;
  expect(r.shard.shard.appliedIndex).toBe(m.index);
  return deleted;
}

class SweepCommand implements Cmd {
  constructor(private readonly budget: number) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const expiredInModel = m.entries.size - m.liveKeys().length;
    const deleted = sweep(m, r, this.budget);
    expect(deleted).toBeGreaterThanOrEqual(0);
    expect(deleted).toBeLessThanOrEqual(this.budget);
    expect(deleted).toBeLessThanOrEqual(expiredInModel);
    checkSize(m, r); // no live key was swept
  }
  toString(): string { return `sweep budget ${this.budget}`; }
}
const sweepCmd = fc.integer({ min: 1, max: 4 }).map((n) => new SweepCommand(n));

/** Repeated small sweeps reclaim every expired key; then every counter is exact. */
class AuditCommand implements Cmd {
  constructor(private readonly budget: number) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const passes = 2 * Math.ceil((r.shard.expiringSize + 1) / this.budget) + 2;
    for (let i = 0; i < passes; i++) sweep(m, r, this.budget);
    m.purgeExpired();
    const live = m.liveKeys();
    expect(r.shard.size).toBe(live.length);
    expect(r.shard.expiringSize).toBe(live.filter((key) => m.entries.get(key)!.expireAtMs !== 0).length);
    const bytes = live.reduce((sum, key) => sum + key.length + m.entries.get(key)!.value.length, 0);
    expect(r.shard.dataBytes).toBe(bytes);
    const count = r.handle({ op: 'count' }, m.nowMs) as OkReply;
    expect(count).toEqual({ ok: true, integer: BigInt(live.length) });
  }
  toString(): string { return `audit (sweep budget ${this.budget})`; }
}
const auditCmd = fc.integer({ min: 1, max: 5 }).map((n) => new AuditCommand(n));

class CountCommand implements Cmd {
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const reply = r.handle({ op: 'count' }, m.nowMs);
    expect(reply.ok).toBe(true);
    // Live keys only: expired keys not yet removed through the log do not count.
    expect((reply as OkReply).integer).toBe(BigInt(m.liveKeys().length));
  }
  toString(): string { return 'count'; }
}

class FlushCommand implements Cmd {
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const live = m.liveKeys().length;
    m.index++;
    const reply = r.handle({ op: 'flush' }, m.nowMs);
    expect(reply).toEqual({ ok: true, integer: BigInt(live) });
    expect(r.shard.shard.appliedIndex).toBe(m.index);
    m.entries.clear();
    expect(r.shard.size).toBe(0);
    expect(r.shard.expiringSize).toBe(0);
    expect(r.shard.dataBytes).toBe(0);
    // Versions keep growing across a flush: a stale CAS must not succeed on a new key.
  }
  toString(): string { return 'flush'; }
}

/** Page through a whole SCAN and compare with the model's live keys. */
class ScanAllCommand implements Cmd {
  constructor(private readonly prefix: Uint8Array, private readonly limit: number, private readonly withValues: boolean) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const p = latin1(this.prefix);
    const expected = m.liveKeys().filter((key) => key.startsWith(p));
    const seen = scanPages(m, r, this.prefix, this.limit, this.withValues, expected.length + SCAN_EMPTY_PAGES_MAX, () => {});
    // Unchanged between pages, the index never shrinks mid-scan: each key exactly once, in bucket (not key) order.
    expect([...seen].sort()).toEqual([...expected].sort());
  }
  toString(): string { return `scan all ${k(this.prefix)} limit ${this.limit}${this.withValues ? ' withValues' : ''}`; }
}
const scanAllCmd = fc.record({ prefix: arbPrefix, limit: fc.integer({ min: 1, max: 5 }), withValues: fc.boolean() })
  .map(({ prefix, limit, withValues }) => new ScanAllCommand(prefix, limit, withValues));

/**
 * Scan pages with sets and deletes between them. Keys live with the prefix
 * for the whole scan must appear at least once (Redis's guarantee; twice only
 * if a delete shrank the index); nothing may appear outside the prefix, or
 * that was not live when its page was read.
 */
class ScanWithChangesCommand implements Cmd {
  constructor(
    private readonly prefix: Uint8Array,
    private readonly limit: number,
    private readonly changes: { key: Uint8Array; del: boolean; value: Uint8Array }[],
  ) {}
  check(): boolean { return true; }
  run(m: ShardModel, r: Real): void {
    const p = latin1(this.prefix);
    const throughout = new Set(m.liveKeys().filter((key) => key.startsWith(p)));
    let change = 0;
    const bound = throughout.size + this.changes.length + SCAN_EMPTY_PAGES_MAX;
    const seen = scanPages(m, r, this.prefix, this.limit, false, bound, () => {
      if (change >= this.changes.length) return;
      const c = this.changes[change++]!;
      if (c.del) {
        throughout.delete(latin1(c.key));
        runOp(m, r, { op: 'del', key: c.key });
      } else {
        runOp(m, r, { op: 'set', key: c.key, value: c.value.slice() });
      }
    });
    for (const key of throughout) {
      const times = seen.filter((s) => s === key).length;
      expect(times, `key ${JSON.stringify(key)} present throughout`).toBeGreaterThanOrEqual(1);
      expect(times, `key ${JSON.stringify(key)} present throughout`).toBeLessThanOrEqual(2);
    }
  }
  toString(): string {
    return `scan ${k(this.prefix)} limit ${this.limit} with changes ${this.changes.map((c) => `${c.del ? 'del' : 'set'} ${k(c.key)}`).join(', ')}`;
  }
}
const scanWithChangesCmd = fc.record({
  prefix: arbPrefix,
  limit: fc.integer({ min: 1, max: 3 }),
  changes: fc.array(fc.record({ key: arbKey, del: fc.boolean(), value: fc.uint8Array({ maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
}).map(({ prefix, limit, changes }) => new ScanWithChangesCommand(prefix, limit, changes));

/**
 * Empty pages a scan may take on top of one page per key: a page visits at
 * most limit * 10 buckets, and these tests' tables stay under 640 slots.
 */
const SCAN_EMPTY_PAGES_MAX = 64;
/** A page may pass its limit by one bucket's keys (keys sharing a home slot); a few at most here. */
const SCAN_BUCKET_KEYS_SLACK = 8;

/**
 * Pages until the cursor is empty. Checks each page against the model as it
 * is when the page is read; returns every key seen, in order.
 */
function scanPages(
  m: ShardModel, r: Real, prefix: Uint8Array, limit: number, withValues: boolean, pagesMax: number, between: () => void,
): string[] {
  const p = latin1(prefix);
  const seen: string[] = [];
  let cursor: Uint8Array = new Uint8Array(0);
  for (let page = 0; ; page++) {
    expect(page, 'scan did not finish: pages must make progress').toBeLessThanOrEqual(pagesMax);
    const req: Request = { op: 'scan', prefix, cursor, limit };
    if (withValues) req.withValues = true;
    expect(validateRequest(req, LIMITS)).toBeNull();
    const reply = r.handle(req, m.nowMs);
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
    const { scanItems, cursor: next } = reply as OkReply;
    expect(scanItems!.length).toBeLessThanOrEqual(limit + SCAN_BUCKET_KEYS_SLACK);
    for (const item of scanItems!) {
      const key = latin1(item.key);
      expect(key.startsWith(p), `scan returned ${JSON.stringify(key)} outside prefix ${JSON.stringify(p)}`).toBe(true);
      const e = m.live(key);
      expect(e, `scan returned ${JSON.stringify(key)}, which is not live`).toBeDefined();
      expect(item.version).toBe(e!.version);
      if (withValues) expect(latin1(item.value!)).toBe(latin1(e!.value));
      else expect(item.value).toBeUndefined();
      seen.push(key);
    }
    if (next!.length === 0) return seen;
    cursor = next!;
    between();
  }
}

const clockBackCmd = fc.record({
  inner: fc.oneof(setCmd, getCmd, ttlCmd, expireCmd, incrCmd, getExCmd, existsCmd),
  backMs: fc.integer({ min: 1, max: 50 }),
}).map(({ inner, backMs }) => new ClockBackCommand(inner, backMs));

const allCommands = [
  fc.oneof(
    { weight: 4, arbitrary: setCmd },
    { weight: 3, arbitrary: getCmd },
    { weight: 2, arbitrary: delCmd },
    { weight: 2, arbitrary: incrCmd },
    { weight: 2, arbitrary: incrFloatCmd },
    { weight: 2, arbitrary: appendCmd },
    { weight: 1, arbitrary: existsCmd },
    { weight: 2, arbitrary: ttlCmd },
    { weight: 2, arbitrary: expireCmd },
    { weight: 1, arbitrary: getRangeCmd },
    { weight: 1, arbitrary: setRangeCmd },
    { weight: 2, arbitrary: getExCmd },
    { weight: 2, arbitrary: mgetCmd },
    { weight: 2, arbitrary: msetCmd },
    { weight: 3, arbitrary: advanceCmd },
    { weight: 2, arbitrary: clockBackCmd },
    { weight: 2, arbitrary: sweepCmd },
    { weight: 1, arbitrary: auditCmd },
    { weight: 1, arbitrary: fc.constant(new CountCommand()) },
    { weight: 2, arbitrary: scanAllCmd },
    { weight: 1, arbitrary: scanWithChangesCmd },
    { weight: 1, arbitrary: fc.constant(new FlushCommand()) },
  ),
];

function runModel(makeReal: () => Real, numRuns: number): void {
  fc.assert(
    fc.property(fc.commands(allCommands, { maxCommands: 150, size: 'medium' }), (cmds) => {
      fc.modelRun(() => {
        const model = new ShardModel(LIMITS);
        const real = makeReal();
        const handle = real.handle;
        // Every time handed to the shard raises the floor it judges at (see ClockBackCommand).
        real.handle = (req, nowMs) => {
          model.timeFloorMs = Math.max(model.timeFloorMs, nowMs);
          return handle(req, nowMs);
        };
        return { model, real };
      }, cmds);
    }),
    { numRuns },
  );
}

describe('shard state machine against a reference model', () => {
  it('agrees on every reply, version and expiry (direct)', () => {
    runModel(directReal, 150);
  });

  it('agrees when requests and replies pass through the ring codec', () => {
    runModel(codecReal, 60);
  });
});
