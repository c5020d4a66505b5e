// Model-based test of the hash commands through a real Shard (apply for
// writes, read for reads, `{ op: 'call' }` as every door sends them) against
// a plain model: a Map of Maps. Fields are drawn from a pool larger than
// HASH_COMPACT_ENTRIES_MAX and values sometimes longer than
// HASH_COMPACT_VALUE_BYTES_MAX, so hashes convert compact -> large; a
// compact hash must answer in insertion order (as Redis's listpack), a large
// one in any order. Midway the shard is snapshotted and restored, and both
// go on with the same commands: replies and digests must stay equal (the
// replication invariant).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import type { Reply } from '../../../core/protocol/ops.js';
import type { Command } from '../../../core/shard/command.js';
import { Shard } from '../../../core/shard/shard.js';
import { dataCommandOf } from '../../../core/types/data-commands.js';
import { HASH_COMPACT_ENTRIES_MAX, HASH_COMPACT_VALUE_BYTES_MAX } from '../../../core/types/hash/hash-compact.js';
import { b, latin1 } from '../bytes-helpers.js';

const LIMITS = makeLimits();
const T0 = 1_000_000;
const KEYS = ['h0', 'h1', 'str'];

/** A reply as plain data: bytes as latin1 text, integers as numbers. */
type Plain = null | number | string | Plain[] | { err: string; message: string } | { status: string };

function plain(v: DataValue): Plain {
  switch (v.t) {
    case 'nil': case 'nilArray': return null;
    case 'int': return Number(v.v);
    case 'bytes': return latin1(v.v);
    case 'double': return v.v;
    case 'status': return { status: v.v };
    case 'array': case 'map': case 'set': case 'pairs': return v.v.map(plain);
  }
}

function plainReply(r: Reply): Plain {
  return r.ok ? plain(r.data!) : { err: r.code, message: r.message };
}

/** Drives one shard: writes through its log (apply), reads at the log's time. */
class Driver {
  index = 0;
  constructor(public shard: Shard) {}

  run(name: string, args: string[]): Reply {
    const call: Command = { op: 'call', name, args: args.map(b) };
    if (dataCommandOf(name)!.write) return this.apply(call);
    return this.shard.read(call, T0 + this.index);
  }

  apply(command: Command): Reply {
    this.index = this.shard.appliedIndex + 1;
    return this.shard.apply({ index: this.index, term: 1, timestampMs: T0 + this.index, command });
  }
}

interface ModelHash { fields: Map<string, string>; large: boolean }

const WRONG = { err: 'WRONG_TYPE', message: 'Operation against a key holding the wrong kind of value' };
const errOf = (message: string): Plain => ({ err: 'BAD_REQUEST', message });

class Model {
  readonly hashes = new Map<string, ModelHash>();
  readonly strings = new Set<string>(['str']);

  /** The hash, a wrong-type error, or undefined when absent. */
  at(key: string): ModelHash | 'wrong' | undefined {
    return this.strings.has(key) ? 'wrong' : this.hashes.get(key);
  }

  write(key: string, change: (h: ModelHash) => void): void {
    const h = this.hashes.get(key) ?? { fields: new Map(), large: false };
    change(h);
    if (h.fields.size === 0) {
      this.hashes.delete(key);
      return;
    }
    if (h.fields.size > HASH_COMPACT_ENTRIES_MAX) h.large = true;
    for (const [f, v] of h.fields) if (f.length > HASH_COMPACT_VALUE_BYTES_MAX || v.length > HASH_COMPACT_VALUE_BYTES_MAX) h.large = true;
    this.hashes.set(key, h);
  }
}

type Cmd = { name: string; key: string; args: readonly string[] };

const fieldArb = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 199 }) })
  .map((i) => `f${i}`);
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('', 'a', 'bb', '10', '-3', '2.5', 'x y') },
  { weight: 1, arbitrary: fc.integer({ min: HASH_COMPACT_VALUE_BYTES_MAX - 1, max: HASH_COMPACT_VALUE_BYTES_MAX + 2 }).map((n) => 'v'.repeat(n)) },
);
const keyArb = fc.constantFrom(...KEYS, 'h0', 'h0');
const wideFieldArb = fc.integer({ min: 0, max: 299 }).map((i) => `f${i}`);
const pairsArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(fieldArb, valueArb), { minLength: 1, maxLength: 10 }) },
  // Enough fields at once to cross HASH_COMPACT_ENTRIES_MAX within a few commands.
  { weight: 3, arbitrary: fc.array(fc.tuple(wideFieldArb, fc.constantFrom('w', '7')), { minLength: 40, maxLength: 90, size: 'max' }) },
).map((ps) => ps.flat());

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ name: fc.constantFrom('hset', 'hmset'), key: keyArb, args: pairsArb }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant('hsetnx'), key: keyArb, args: fc.tuple(fieldArb, valueArb) }) },
  { weight: 3, arbitrary: fc.record({ name: fc.constant('hdel'), key: keyArb, args: fc.array(fieldArb, { minLength: 1, maxLength: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant('hincrby'), key: keyArb, args: fc.tuple(fieldArb, fc.constantFrom('1', '-7', '9223372036854775807', 'x')) }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant('hincrbyfloat'), key: keyArb, args: fc.tuple(fieldArb, fc.constantFrom('0.5', '-1.25', '3', 'abc')) }) },
  { weight: 3, arbitrary: fc.record({ name: fc.constantFrom('hget', 'hstrlen', 'hexists'), key: keyArb, args: fc.tuple(fieldArb) }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant('hmget'), key: keyArb, args: fc.array(fieldArb, { minLength: 1, maxLength: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ name: fc.constantFrom('hlen', 'hgetall', 'hkeys', 'hvals', 'type', 'del', 'hscan-all'), key: keyArb, args: fc.constant([]) }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constant('hrandfield'), key: keyArb, args: fc.constantFrom([], ['3'], ['-5'], ['500'], ['2', 'WITHVALUES'], ['-4', 'withvalues'], ['0']) }) },
);

const isFloat = (s: string): boolean => /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(s);

/** What the model expects of a command (null: a read the test checks by property instead). */
function expected(model: Model, c: Cmd): Plain | undefined {
  const h = model.at(c.key);
  const { name, args } = c;
  if (name === 'hscan-all') return undefined;
  if (name === 'type') return { status: h === 'wrong' ? 'string' : h === undefined ? 'none' : 'hash' };
  if (name === 'del') {
    const had = h !== undefined;
    model.hashes.delete(c.key);
    model.strings.delete(c.key);
    return had ? 1 : 0;
  }
  // Redis parses HINCRBY's and HINCRBYFLOAT's increment before it looks at the key.
  if (name === 'hincrby' && !/^(0|-?[1-9][0-9]*)$/.test(args[1]!)) return errOf('value is not an integer or out of range');
  if (name === 'hincrbyfloat' && !isFloat(args[1]!)) return errOf('value is not a valid float');
  if (h === 'wrong') return WRONG;
  const fields = h?.fields ?? new Map<string, string>();
  switch (name) {
    case 'hset': case 'hmset': {
      let added = 0;
      model.write(c.key, (m) => {
        for (let i = 0; i < args.length; i += 2) {
          if (!m.fields.has(args[i]!)) added++;
          m.fields.set(args[i]!, args[i + 1]!);
        }
      });
      return name === 'hset' ? added : { status: 'OK' };
    }
    case 'hsetnx':
      if (fields.has(args[0]!)) return 0;
      model.write(c.key, (m) => m.fields.set(args[0]!, args[1]!));
      return 1;
    case 'hdel': {
      let removed = 0;
      if (!args.some((f) => fields.has(f))) return 0;
      model.write(c.key, (m) => { for (const f of args) if (m.fields.delete(f)) removed++; });
      return removed;
    }
    case 'hincrby': {
      const cur = fields.get(args[0]!) ?? '0';
      if (!/^(0|-?[1-9][0-9]*)$/.test(cur) || BigInt(cur) > (1n << 63n) - 1n || BigInt(cur) < -(1n << 63n)) return errOf('hash value is not an integer');
      const next = BigInt(cur) + BigInt(args[1]!);
      if (next > (1n << 63n) - 1n || next < -(1n << 63n)) return errOf('increment or decrement would overflow');
      model.write(c.key, (m) => m.fields.set(args[0]!, next.toString()));
      return Number(next);
    }
    case 'hincrbyfloat': {
      const cur = fields.get(args[0]!) ?? '0';
      if (!isFloat(cur)) return errOf('hash value is not a float');
      const text = String(Number((Number(cur) + Number(args[1]!)).toPrecision(15)));
      model.write(c.key, (m) => m.fields.set(args[0]!, text));
      return text;
    }
    case 'hget': return fields.get(args[0]!) ?? null;
    case 'hstrlen': return fields.get(args[0]!)?.length ?? 0;
    case 'hexists': return fields.has(args[0]!) ? 1 : 0;
    case 'hmget': return args.map((f) => fields.get(f) ?? null);
    case 'hlen': return fields.size;
    default: return undefined;
  }
}

/** Checks the replies the model cannot predict exactly (orders of large hashes, random picks, scans). */
function checkByProperty(model: Model, c: Cmd, got: Plain, runScan: (cursor: string) => Plain): void {
  const h = model.at(c.key);
  if (h === 'wrong') {
    expect(c.name === 'hscan-all' ? runScan('0') : got).toEqual(WRONG);
    return;
  }
  const fields = h?.fields ?? new Map<string, string>();
  const pairs = [...fields].flat();
  const sorted = (xs: Plain): string[] => [...(xs as string[])].sort();
  const pairList = (xs: string[]): string[] => xs.flatMap((x, i) => (i % 2 === 0 ? [`${x}=${xs[i + 1]}`] : [])).sort();
  switch (c.name) {
    case 'hgetall':
      if (h?.large) expect(pairList(got as string[])).toEqual(pairList(pairs));
      else expect(got).toEqual(pairs);
      return;
    case 'hkeys': expect(h?.large ? sorted(got) : got).toEqual(h?.large ? sorted([...fields.keys()]) : [...fields.keys()]); return;
    case 'hvals': expect(h?.large ? sorted(got) : got).toEqual(h?.large ? sorted([...fields.values()]) : [...fields.values()]); return;
    case 'hscan-all': {
      const seen = new Map<string, string>();
      let cursor = '0';
      let pages = 0;
      do {
        const page = runScan(cursor) as [string, string[]];
        cursor = page[0];
        for (let i = 0; i < page[1].length; i += 2) seen.set(page[1][i]!, page[1][i + 1]!);
        expect(++pages).toBeLessThan(1000);
      } while (cursor !== '0');
      expect(seen).toEqual(fields);
      return;
    }
    case 'hrandfield': {
      const [countText, withValues] = c.args;
      if (countText === undefined) {
        expect(h === undefined ? got === null : fields.has(got as string)).toBe(true);
        return;
      }
      const count = Number(countText);
      const items = got as string[];
      const step = withValues !== undefined ? 2 : 1;
      const picked = items.filter((_, i) => i % step === 0);
      for (let i = 0; i < items.length; i += step) {
        expect(fields.has(items[i]!)).toBe(true);
        if (step === 2) expect(items[i + 1]).toBe(fields.get(items[i]!));
      }
      if (count >= 0) {
        expect(picked.length).toBe(Math.min(count, fields.size));
        expect(new Set(picked).size).toBe(picked.length);
      } else {
        expect(picked.length).toBe(h === undefined ? 0 : -count);
      }
      return;
    }
    default: throw new Error(`no check for ${c.name}`);
  }
}

function runOne(d: Driver, c: Cmd): Plain {
  if (c.name === 'del') {
    const r = d.apply({ op: 'del', key: b(c.key) });
    return r.ok ? (r.found === true ? 1 : 0) : plainReply(r);
  }
  if (c.name === 'hscan-all') return null;
  return plainReply(d.run(c.name, [c.key, ...c.args]));
}

describe('hashes through the shard, against a model', () => {
  it('answer as the model, convert compact -> large, and survive a snapshot mid-way', () => {
    fc.assert(fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 150, size: 'max' }), fc.nat(120), (cmds, cut) => {
      const model = new Model();
      const d = new Driver(new Shard(0, LIMITS));
      d.apply({ op: 'set', key: b('str'), value: b('a string') });
      let twin: Driver | null = null;
      cmds.forEach((c, i) => {
        // In the second half, when hashes have had time to grow.
        if (i === Math.floor(cmds.length / 2) + (cut % Math.ceil(cmds.length / 2))) {
          twin = new Driver(Shard.restore(0, LIMITS, d.shard.snapshot()));
          expect(twin.shard.digest()).toBe(d.shard.digest());
        }
        const want = expected(model, c);
        const got = runOne(d, c);
        const runScan = (dr: Driver) => (cursor: string): Plain => plainReply(dr.run('hscan', [c.key, cursor, 'COUNT', '5']));
        if (want !== undefined) expect(got).toEqual(want);
        else checkByProperty(model, c, c.name === 'hscan-all' ? null : got, runScan(d));
        if (twin !== null) {
          // The restored replica answers every write and deterministic read exactly as the original.
          const twinGot = runOne(twin, c);
          if (dataCommandOf(c.name)?.write === true || want !== undefined || c.name === 'hgetall' || c.name === 'hkeys') expect(twinGot).toEqual(got);
          if (c.name === 'hscan-all') expect(runScan(twin)('0')).toEqual(runScan(d)('0'));
        }
      });
      if (twin !== null) expect((twin as Driver).shard.digest()).toBe(d.shard.digest());
    }), { numRuns: 150 });
  });

  it('converts at the thresholds, never back, and answers HGETALL in insertion order while compact', () => {
    const d = new Driver(new Shard(0, LIMITS));
    const fields = Array.from({ length: HASH_COMPACT_ENTRIES_MAX }, (_, i) => [`z${HASH_COMPACT_ENTRIES_MAX - i}`, `${i}`]).flat();
    expect(plainReply(d.run('hset', ['k', ...fields]))).toBe(HASH_COMPACT_ENTRIES_MAX);
    expect(plainReply(d.run('hkeys', ['k']))).toEqual(fields.filter((_, i) => i % 2 === 0));
    const compactBytes = d.shard.usedBytes;
    expect(plainReply(d.run('hset', ['k', 'one-more', 'x']))).toBe(1);
    expect(d.shard.usedBytes).toBeGreaterThan(compactBytes);
    expect(plainReply(d.run('hdel', ['k', 'one-more']))).toBe(1);
    expect(plainReply(d.run('hlen', ['k']))).toBe(HASH_COMPACT_ENTRIES_MAX);
    // A long value converts a small hash too.
    expect(plainReply(d.run('hset', ['small', 'f', 'v'.repeat(HASH_COMPACT_VALUE_BYTES_MAX + 1)]))).toBe(1);
    expect(plainReply(d.run('hstrlen', ['small', 'f']))).toBe(HASH_COMPACT_VALUE_BYTES_MAX + 1);
    // An emptied hash is removed, whichever its encoding.
    expect(plainReply(d.run('hdel', ['small', 'f']))).toBe(1);
    expect(plainReply(d.run('type', ['small']))).toEqual({ status: 'none' });
  });

  it('answers Redis\'s errors for bad arguments, changing nothing', () => {
    const d = new Driver(new Shard(0, LIMITS));
    d.run('hset', ['k', 'n', '5', 'f', '1.5', 't', 'text']);
    const contents = (): Plain => plainReply(d.run('hgetall', ['k']));
    const before = contents();
    expect(plainReply(d.run('hset', ['k', 'a', '1', 'b']))).toEqual(errOf("wrong number of arguments for 'hset' command"));
    expect(plainReply(d.run('hincrby', ['k', 't', '1']))).toEqual(errOf('hash value is not an integer'));
    expect(plainReply(d.run('hincrby', ['k', 'n', '1.5']))).toEqual(errOf('value is not an integer or out of range'));
    expect(plainReply(d.run('hincrbyfloat', ['k', 't', '1']))).toEqual(errOf('hash value is not a float'));
    expect(plainReply(d.run('hincrbyfloat', ['k', 'f', 'nan']))).toEqual(errOf('value is not a valid float'));
    expect(plainReply(d.run('hincrbyfloat', ['k', 'f', '-inf']))).toEqual(errOf('value is NaN or Infinity'));
    expect(plainReply(d.run('hincrbyfloat', ['str', 'f', 'abc']))).toEqual(errOf('value is not a valid float'));
    expect(plainReply(d.run('hscan', ['missing', '0', 'BOGUS']))).toEqual(['0', []]);
    expect(plainReply(d.run('hrandfield', ['k', '-9223372036854775808']))).toEqual(
      errOf('value is out of range, value must between -9223372036854775807 and 9223372036854775807'));
    expect(plainReply(d.run('hrandfield', ['k', 'x']))).toEqual(errOf('value is not an integer or out of range'));
    expect(plainReply(d.run('hrandfield', ['k', '1', 'withscores']))).toEqual(errOf('syntax error'));
    expect(plainReply(d.run('hscan', ['k', 'abc']))).toEqual(errOf('invalid cursor'));
    expect(plainReply(d.run('hscan', ['k', '0', 'COUNT', '0']))).toEqual(errOf('syntax error'));
    expect(plainReply(d.run('hscan', ['k', '0', 'BOGUS']))).toEqual(errOf('syntax error'));
    expect(contents()).toEqual(before);
    expect(plainReply(d.run('hincrbyfloat', ['k', 'f', '0.1']))).toBe('1.6');
    expect(plainReply(d.run('hscan', ['k', '0', 'MATCH', '[nt]', 'NOVALUES']))).toEqual(['0', ['n', 't']]);
  });

  it('answers LIMIT_EXCEEDED instead of a reply larger than a frame', () => {
    const limits = makeLimits({ valueBytesMax: 64 * 1024, frameBytesMax: 128 * 1024 });
    const d = new Driver(new Shard(0, limits));
    for (let i = 0; i < 10; i++) d.run('hset', ['big', `f${i}`, 'v'.repeat(20_000)]);
    const r = d.run('hgetall', ['big']);
    expect(r.ok ? null : r.code).toBe('LIMIT_EXCEEDED');
    expect(r.ok ? '' : r.message).toMatch(/HGETALL's reply would be over 65536 bytes.*HSCAN/);
    const far = d.run('hrandfield', ['big', '-1000000000']);
    expect(far.ok ? null : far.code).toBe('LIMIT_EXCEEDED');
    // HSCAN cuts its pages instead, and still returns every field.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const page = plainReply(d.run('hscan', ['big', cursor, 'COUNT', '100'])) as [string, string[]];
      cursor = page[0];
      page[1].forEach((x, i) => { if (i % 2 === 0) seen.add(x); });
    } while (cursor !== '0');
    expect(seen.size).toBe(10);
  });
});
