// Every collection type under small thresholds (a few entries, a few bytes),
// so conversions happen every few commands: a model predicts each key's
// contents and its OBJECT ENCODING (Redis 7.2's rules under the node's
// hash-/set-/zset-max-listpack-*, set-max-intset-entries and
// list-max-listpack-size), and a shard restored from a snapshot mid-way must
// go on with the same replies and digest. Run with two small settings and
// with the defaults.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits, type Limits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import type { Reply } from '../../../core/protocol/ops.js';
import { isWriteRequest } from '../../../core/shard/command.js';
import { Shard } from '../../../core/shard/shard.js';
import { DEFAULT_COLLECTION_THRESHOLDS, type CollectionThresholds } from '../../../core/types/collection-thresholds.js';
import { listCompactBounds } from '../../../core/types/list/list-compact.js';
import { elementBytes } from '../../../core/types/list/list-element.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Applies writes as log entries, on a shard that can be snapshotted and restored. */
class Node {
  private index = 0;
  constructor(readonly shard: Shard) {}
  call(name: string, args: string[]): Reply {
    const request = { op: 'call' as const, name, args: args.map((a) => enc.encode(a)) };
    if (!isWriteRequest(request)) return this.shard.read(request, 1_000_000);
    this.index++;
    return this.shard.apply({ index: this.index, term: 1, timestampMs: 1_000_000, command: request });
  }
  restored(limits: Limits): Node {
    const twin = new Node(Shard.restore(0, limits, this.shard.snapshot()));
    twin.index = this.index;
    return twin;
  }
}

/** A reply's items as text, flat (maps and WITHSCORES pairs as they come). */
function texts(d: DataValue): string[] {
  if (d.t === 'bytes') return [dec.decode(d.v)];
  if (d.t === 'double') return [String(d.v)];
  if (d.t === 'array' || d.t === 'set' || d.t === 'map' || d.t === 'pairs') return d.v.flatMap(texts);
  throw new Error(`not text: ${d.t}`);
}

type Encoding = 'listpack' | 'hashtable' | 'intset' | 'skiplist' | 'quicklist';
interface HashModel { kind: 'hash'; pairs: Map<string, string>; large: boolean }
interface SetModel { kind: 'set'; members: Set<string>; form: 'intset' | 'listpack' | 'hashtable' }
interface ZSetModel { kind: 'zset'; scores: Map<string, number>; large: boolean }
interface ListModel { kind: 'list'; items: string[]; large: boolean }
type Value = HashModel | SetModel | ZSetModel | ListModel;

const bytesOf = (s: string): number => enc.encode(s).length;
const isInt = (s: string): boolean => /^(0|-?[1-9]\d{0,17})$/.test(s);

/** The model of a node's keys under thresholds `t`: what each command answers and which encoding it leaves. */
class Model {
  readonly keys = new Map<string, Value>();
  constructor(private readonly t: CollectionThresholds) {}

  encodingOf(v: Value): Encoding {
    switch (v.kind) {
      case 'hash': return v.large ? 'hashtable' : 'listpack';
      case 'set': return v.form;
      case 'zset': return v.large ? 'skiplist' : 'listpack';
      case 'list': return v.large ? 'quicklist' : 'listpack';
    }
  }

  hset(key: string, field: string, value: string): number {
    const h = this.get(key, 'hash') ?? { kind: 'hash', pairs: new Map<string, string>(), large: false };
    const added = h.pairs.has(field) ? 0 : 1;
    h.pairs.set(field, value);
    const t = this.t;
    if (h.pairs.size > t.hashCompactEntriesMax || [...h.pairs].some(([f, x]) => bytesOf(f) > t.hashCompactValueBytesMax || bytesOf(x) > t.hashCompactValueBytesMax)) h.large = true;
    this.keys.set(key, h);
    return added;
  }

  sadd(key: string, member: string): number {
    const s = this.get(key, 'set') ?? { kind: 'set', members: new Set<string>(), form: 'intset' };
    if (s.members.has(member)) return 0;
    s.form = this.setFormAfterAdd(s, member);
    s.members.add(member);
    this.keys.set(key, s);
    return 1;
  }

  /** Redis 7.2: an intset past its entries, or meeting a non-integer, becomes a listpack if that fits, else a hash table. */
  private setFormAfterAdd(s: SetModel, m: string): SetModel['form'] {
    const t = this.t;
    const size = s.members.size;
    if (s.form === 'hashtable') return 'hashtable';
    const longest = Math.max(bytesOf(m), ...[...s.members].map(bytesOf));
    const fitsListpack = size + 1 <= t.setCompactEntriesMax && longest <= t.setCompactMemberBytesMax;
    if (s.form === 'intset' && isInt(m) && size + 1 <= t.setIntsetEntriesMax) return 'intset';
    return fitsListpack ? 'listpack' : 'hashtable';
  }

  zadd(key: string, score: number, member: string): number {
    const z = this.get(key, 'zset') ?? { kind: 'zset', scores: new Map<string, number>(), large: false };
    const added = z.scores.has(member) ? 0 : 1;
    z.scores.set(member, score);
    if (z.scores.size > this.t.zsetCompactEntriesMax || bytesOf(member) > this.t.zsetCompactMemberBytesMax) z.large = true;
    this.keys.set(key, z);
    return added;
  }

  rpush(key: string, item: string): number {
    const l = this.get(key, 'list') ?? { kind: 'list', items: [], large: false };
    l.items.push(item);
    this.keys.set(key, l);
    this.listSettle(l);
    return l.items.length;
  }

  lpop(key: string): string | null {
    const l = this.get(key, 'list');
    if (l === undefined) return null;
    const item = l.items.shift()!;
    if (l.items.length === 0) this.keys.delete(key);
    else this.listSettle(l);
    return item;
  }

  /** A compact list converts past the limits; a large one comes back within half of them. */
  private listSettle(l: ListModel): void {
    const { bytesMax, entriesMax } = listCompactBounds(this.t);
    const bytes = 1 + l.items.reduce((n, x) => n + elementBytes(enc.encode(x)), 0);
    if (!l.large) l.large = bytes > bytesMax || l.items.length > entriesMax;
    else if (bytes <= bytesMax / 2 && l.items.length <= entriesMax / 2) l.large = false;
  }

  remove(key: string, member: string): number {
    const v = this.keys.get(key);
    if (v === undefined) return 0;
    const gone = v.kind === 'hash' ? v.pairs.delete(member) : v.kind === 'set' ? v.members.delete(member) : v.kind === 'zset' ? v.scores.delete(member) : false;
    const size = v.kind === 'hash' ? v.pairs.size : v.kind === 'set' ? v.members.size : v.kind === 'zset' ? v.scores.size : v.items.length;
    if (size === 0) this.keys.delete(key);
    return gone ? 1 : 0;
  }

  /** What a whole read of the key answers, sorted (order is the encoding's business). */
  contents(v: Value): string[] {
    switch (v.kind) {
      case 'hash': return [...v.pairs].flat().sort();
      case 'set': return [...v.members].sort();
      case 'zset': return [...v.scores].flatMap(([m, s]) => [m, String(s)]).sort();
      case 'list': return [...v.items];
    }
  }

  private get<K extends Value['kind']>(key: string, kind: K): Extract<Value, { kind: K }> | undefined {
    const v = this.keys.get(key);
    expect(v === undefined || v.kind === kind).toBe(true);
    return v as Extract<Value, { kind: K }> | undefined;
  }
}

const READ_ALL: Readonly<Record<Value['kind'], (key: string) => [string, string[]]>> = {
  hash: (k) => ['hgetall', [k]],
  set: (k) => ['smembers', [k]],
  zset: (k) => ['zrange', [k, '0', '-1', 'WITHSCORES']],
  list: (k) => ['lrange', [k, '0', '-1']],
};

/** Short and long texts, integers short and long (an intset's texts may be too long for a listpack). */
const text = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  fc.constantFrom('longer-than-8', 'quite a long member indeed'),
  fc.integer({ min: -20, max: 20 }).map(String),
  fc.constantFrom('123456789012', '-99999999999'),
  fc.constantFrom('x'.repeat(1500), 'y'.repeat(3000)),
);

type Cmd = { op: 'hset' | 'sadd' | 'zadd' | 'rpush' | 'hdel' | 'srem' | 'zrem' | 'lpop'; key: string; a: string; score: number } | { op: 'snapshot' };
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 12, arbitrary: fc.record({
    op: fc.constantFrom('hset', 'sadd', 'zadd', 'rpush', 'hset', 'sadd', 'zadd', 'rpush', 'rpush', 'hdel', 'srem', 'zrem', 'lpop') as fc.Arbitrary<'hset'>,
    key: fc.constantFrom('1', '2'), a: text, score: fc.integer({ min: -3, max: 3 }),
  }) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ op: 'snapshot' }) },
);

const KIND_OF: Readonly<Record<string, Value['kind']>> = {
  hset: 'hash', hdel: 'hash', sadd: 'set', srem: 'set', zadd: 'zset', zrem: 'zset', rpush: 'list', lpop: 'list',
};

/** A command's name and arguments as the node gets them. */
function callOf(c: Exclude<Cmd, { op: 'snapshot' }>): [string, string[]] {
  const key = `${KIND_OF[c.op]!}:${c.key}`;
  switch (c.op) {
    case 'hset': return ['hset', [key, c.a, `${c.a}${c.score}`]];
    case 'zadd': return ['zadd', [key, String(c.score), c.a]];
    case 'lpop': return ['lpop', [key]];
    default: return [c.op, [key, c.a]];
  }
}

/** The model's answer to a command: an integer, or LPOP's element (null: nil). */
function modelAnswer(model: Model, c: Exclude<Cmd, { op: 'snapshot' }>): number | string | null {
  const key = `${KIND_OF[c.op]!}:${c.key}`;
  switch (c.op) {
    case 'hset': return model.hset(key, c.a, `${c.a}${c.score}`);
    case 'sadd': return model.sadd(key, c.a);
    case 'zadd': return model.zadd(key, c.score, c.a);
    case 'rpush': return model.rpush(key, c.a);
    case 'lpop': return model.lpop(key);
    default: return model.remove(key, c.a);
  }
}

function answerOf(r: Reply): number | string | null {
  if (!r.ok) return `${r.code} ${r.message}`;
  const d = r.data!;
  return d.t === 'int' ? Number(d.v) : d.t === 'nil' ? null : d.t === 'bytes' ? dec.decode(d.v) : `?${d.t}`;
}

/** Run one command on the model and the node; check the reply, the key's contents and its encoding. */
function step(model: Model, node: Node, c: Exclude<Cmd, { op: 'snapshot' }>): Reply {
  const [name, args] = callOf(c);
  const key = args[0]!;
  const reply = node.call(name, args);
  expect(answerOf(reply), `${name} ${args.join(' ').slice(0, 60)}`).toBe(modelAnswer(model, c));
  const v = model.keys.get(key);
  const encoding = node.call('object', ['encoding', key]);
  if (v === undefined) {
    expect(encoding.ok && encoding.data!.t).toBe('nil');
    return reply;
  }
  expect(answerOf(encoding), `encoding after ${name} ${key}`).toBe(model.encodingOf(v));
  const [readName, readArgs] = READ_ALL[v.kind](key);
  const all = node.call(readName, readArgs);
  const got = all.ok ? texts(all.data!) : [];
  expect(v.kind === 'list' ? got : got.sort()).toEqual(model.contents(v));
  return reply;
}

/** Whether every encoding of every type showed up over the runs (so the thresholds were crossed both ways). */
function runModel(t: CollectionThresholds, numRuns: number, seed: number): Set<string> {
  const limits = makeLimits({ collections: t });
  const seen = new Set<string>();
  fc.assert(fc.property(fc.array(cmd, { minLength: 1, maxLength: 120 }), (cmds) => {
    const model = new Model(t);
    const node = new Node(new Shard(0, limits));
    let twin: Node | null = null;
    for (const c of cmds) {
      if (c.op === 'snapshot') {
        twin = node.restored(limits);
        expect(twin.shard.digest()).toBe(node.shard.digest());
        continue;
      }
      const reply = step(model, node, c);
      for (const v of model.keys.values()) seen.add(`${v.kind}:${model.encodingOf(v)}`);
      // The restored shard must decide every conversion as the original does.
      if (twin !== null) expect(twin.call(...callOf(c))).toEqual(reply);
    }
    if (twin !== null) expect(twin.shard.digest()).toBe(node.shard.digest());
  }), { numRuns, seed });
  return seen;
}

const SMALL: CollectionThresholds = {
  hashCompactEntriesMax: 4, hashCompactValueBytesMax: 8,
  setIntsetEntriesMax: 4, setCompactEntriesMax: 6, setCompactMemberBytesMax: 8,
  zsetCompactEntriesMax: 4, zsetCompactMemberBytesMax: 8,
  listCompactSize: 4,
};
const TINY: CollectionThresholds = {
  hashCompactEntriesMax: 1, hashCompactValueBytesMax: 2,
  setIntsetEntriesMax: 2, setCompactEntriesMax: 1, setCompactMemberBytesMax: 12,
  zsetCompactEntriesMax: 2, zsetCompactMemberBytesMax: 1,
  listCompactSize: -1,
};

describe('collections under configured thresholds, against a model', () => {
  it('small thresholds (4 entries, 8 bytes, lists of 4): every reply, content and encoding as the model', () => {
    const seen = runModel(SMALL, 150, 0x7e5);
    expect([...seen].sort()).toEqual([
      'hash:hashtable', 'hash:listpack', 'list:listpack', 'list:quicklist',
      'set:hashtable', 'set:intset', 'set:listpack', 'zset:listpack', 'zset:skiplist',
    ]);
  });

  it('tiny thresholds (1-2 entries, 1-12 bytes, lists of 4 KiB)', () => {
    const seen = runModel(TINY, 100, 0x7e6);
    expect(seen).toContain('list:quicklist');
    expect(seen).toContain('set:hashtable');
  });

  it('the defaults, where the same commands mostly stay compact', () => {
    const seen = runModel(DEFAULT_COLLECTION_THRESHOLDS, 60, 0x7e7);
    expect(seen).toContain('hash:listpack');
    expect(seen).toContain('set:intset');
  });
});
