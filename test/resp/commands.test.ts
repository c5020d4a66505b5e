import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { validateRequest } from '../../core/protocol/validate.js';
import { COMMAND_NAMES, translate, type Plan, type TranslateContext } from '../../core/resp/commands.js';
import { ReplyWriter, type RespProtocol } from '../../core/resp/reply-encoder.js';
import { decodeOne, simplify } from './resp-decoder.js';

const NOW_MS = 1_700_000_000_000;
const ctx: TranslateContext = { nowMs: NOW_MS, limits: DEFAULT_LIMITS };
const enc = new TextEncoder();
const u = (s: string): Uint8Array => enc.encode(s);
const k = u('k');
const v = u('v');

function translateWords(words: string[]): Plan {
  return translate(words.map(u), ctx);
}

/** The reply of an immediate plan, simplified (see resp-decoder.ts). */
function immediate(words: string[], protocol: RespProtocol = 2): unknown {
  const plan = translateWords(words);
  if (plan.kind !== 'reply') throw new Error(`expected an immediate reply, got ${plan.kind}`);
  const w = new ReplyWriter(protocol);
  w.writeValue(plan.reply);
  return simplify(decodeOne(w.take()));
}

/**
 * Translate, check the requests of each step, feed each step its replies,
 * and return the simplified RESP reply.
 */
function run(words: string[], steps: [Request[], Reply[]][], protocol: RespProtocol = 2): unknown {
  let plan = translateWords(words);
  const w = new ReplyWriter(protocol);
  for (const [i, [requests, replies]] of steps.entries()) {
    if (plan.kind !== 'requests') throw new Error(`step ${i}: expected requests, got ${JSON.stringify(plan)}`);
    expect(plan.requests).toEqual(requests);
    const next = plan.finish(replies, w);
    if (i < steps.length - 1) {
      expect(w.pendingBytes).toBe(0);
      if (!next) throw new Error(`step ${i}: expected a follow-up plan`);
      plan = next;
    } else {
      expect(next).toBeUndefined();
    }
  }
  return simplify(decodeOne(w.take()));
}

const ok = (fields: Omit<Extract<Reply, { ok: true }>, 'ok'> = {}): Reply => ({ ok: true, ...fields });
const err = (code: Extract<Reply, { ok: false }>['code'], message = 'm', currentVersion?: number): Reply =>
  currentVersion === undefined ? { ok: false, code, message } : { ok: false, code, message, currentVersion };

const NOT_INTEGER = '-ERR value is not an integer or out of range';
const SYNTAX = '-ERR syntax error';

describe('translate: dispatch', () => {
  it('is case-insensitive in command names and options', () => {
    expect(run(['gEt', 'k'], [[[{ op: 'get', key: k }], [ok({ found: true, value: v, version: 1 })]]])).toBe('v');
    expect(run(['set', 'k', 'v', 'nX', 'Px', '5'], [[[{ op: 'set', key: k, value: v, ifAbsent: true, ttlMs: 5 }], [ok({ version: 1 })]]]))
      .toBe('+OK');
  });

  it('formats unknown commands exactly as Redis', () => {
    expect(immediate(['FOO', 'a', 'b'])).toBe("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
    expect(immediate(['foo'])).toBe("-ERR unknown command 'foo', with args beginning with: ");
    const long = 'x'.repeat(100);
    expect(immediate(['nope', long, long, long]))
      .toBe(`-ERR unknown command 'nope', with args beginning with: '${long}' '${'x'.repeat(25)}' `);
    expect(immediate(['averyveryverylongcommandname'])).toMatch(/^-ERR unknown command 'averyveryverylongcommandname'/);
  });

  it('checks arity with the lower-case name', () => {
    expect(immediate(['GET'])).toBe("-ERR wrong number of arguments for 'get' command");
    expect(immediate(['GET', 'a', 'b'])).toBe("-ERR wrong number of arguments for 'get' command");
    expect(immediate(['SET', 'k'])).toBe("-ERR wrong number of arguments for 'set' command");
    expect(immediate(['MSET', 'a', '1', 'b'])).toBe("-ERR wrong number of arguments for 'mset' command");
    expect(immediate(['MSETNX', 'a'])).toBe("-ERR wrong number of arguments for 'msetnx' command");
    expect(immediate(['DBSIZE', 'x'])).toBe("-ERR wrong number of arguments for 'dbsize' command");
    expect(immediate(['KEYS'])).toBe("-ERR wrong number of arguments for 'keys' command");
  });

  it('refuses keys out of limits with the core message', () => {
    expect(immediate(['GET', ''])).toBe('-ERR key must not be empty');
    expect(immediate(['GET', 'x'.repeat(DEFAULT_LIMITS.keyBytesMax + 1)]))
      .toBe(`-ERR key is ${DEFAULT_LIMITS.keyBytesMax + 1} bytes; the limit is ${DEFAULT_LIMITS.keyBytesMax}`);
    const many = Array.from({ length: DEFAULT_LIMITS.batchKeysMax + 1 }, (_, i) => `k${i}`);
    expect(immediate(['DEL', ...many])).toBe(`-ERR batch names ${many.length} keys; the limit is ${DEFAULT_LIMITS.batchKeysMax}`);
    expect(immediate(['MGET', ...many])).toMatch(/^-ERR batch names/);
  });

  it('maps shard errors', () => {
    expect(run(['GET', 'k'], [[[{ op: 'get', key: k }], [err('OVERLOADED', 'try later')]]])).toBe('-OVERLOADED try later');
    expect(run(['GET', 'k'], [[[{ op: 'get', key: k }], [err('INTERNAL', 'boom')]]])).toBe('-ERR boom');
    expect(run(['APPEND', 'k', 'v'], [[[{ op: 'append', key: k, value: v }], [err('WRONG_TYPE')]]]))
      .toBe('-WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(run(['DEL', 'a', 'b'], [[[{ op: 'del', key: u('a') }, { op: 'del', key: u('b') }], [ok({ found: true }), err('SHUTTING_DOWN', 'bye')]]]))
      .toBe('-SHUTTINGDOWN bye');
  });
});

describe('translate: connection and immediate commands', () => {
  it('answers PING, ECHO and SELECT itself', () => {
    expect(immediate(['PING'])).toBe('+PONG');
    expect(immediate(['ping', 'hi'])).toBe('hi');
    expect(immediate(['PING', 'a', 'b'])).toBe("-ERR wrong number of arguments for 'ping' command");
    expect(immediate(['ECHO', 'x y'])).toBe('x y');
    expect(immediate(['SELECT', '0'])).toBe('+OK');
    expect(immediate(['SELECT', '1'])).toBe('-ERR DB index is out of range');
    expect(immediate(['SELECT', 'x'])).toBe('-ERR invalid DB index');
  });

  it('hands connection commands to the server', () => {
    expect(translateWords(['HELLO', '3'])).toEqual({ kind: 'connection', name: 'hello', args: [u('3')] });
    expect(translateWords(['Quit'])).toEqual({ kind: 'connection', name: 'quit', args: [] });
    expect(translateWords(['RENAME', 'a', 'b'])).toEqual({ kind: 'connection', name: 'rename', args: [u('a'), u('b')] });
    for (const name of ['auth', 'client', 'command', 'config', 'info', 'keys', 'scan', 'randomkey']) {
      expect(COMMAND_NAMES).toContain(name);
    }
  });
});

describe('translate: GET / SET family', () => {
  it('GET', () => {
    expect(run(['GET', 'k'], [[[{ op: 'get', key: k }], [ok({ found: true, value: v, version: 1 })]]])).toBe('v');
    expect(run(['GET', 'k'], [[[{ op: 'get', key: k }], [ok({ found: false })]]])).toBeNull();
  });

  it('GET writes RESP3 null as _', () => {
    const plan = translateWords(['GET', 'k']);
    const w = new ReplyWriter(3);
    if (plan.kind === 'requests') plan.finish([ok({ found: false })], w);
    expect(Buffer.from(w.take()).toString()).toBe('_\r\n');
  });

  const set = (extra: Partial<Extract<Request, { op: 'set' }>> = {}): Request => ({ op: 'set', key: k, value: v, ...extra });
  const setCases: [string[], Request, Reply, unknown][] = [
    [[], set(), ok({ version: 1 }), '+OK'],
    [['NX'], set({ ifAbsent: true }), ok({ version: 1 }), '+OK'],
    [['NX'], set({ ifAbsent: true }), err('KEY_EXISTS', 'exists', 3), null],
    [['XX'], set({ ifPresent: true }), err('NOT_FOUND'), null],
    [['EX', '10'], set({ ttlMs: 10_000 }), ok({ version: 1 }), '+OK'],
    [['PX', '5'], set({ ttlMs: 5 }), ok({ version: 1 }), '+OK'],
    [['EXAT', '1700000100'], set({ expireAtMs: 1_700_000_100_000 }), ok({ version: 1 }), '+OK'],
    [['PXAT', '123'], set({ expireAtMs: 123 }), ok({ version: 1 }), '+OK'],
    [['EX', '10', 'EX', '20'], set({ ttlMs: 20_000 }), ok({ version: 1 }), '+OK'],
    [['KEEPTTL'], set({ keepTtl: true }), ok({ version: 1 }), '+OK'],
    [['GET'], set({ returnPrevious: true }), ok({ version: 2, previousFound: true, previousValue: u('old') }), 'old'],
    [['GET'], set({ returnPrevious: true }), ok({ version: 2, previousFound: false }), null],
    [['XX', 'GET'], set({ ifPresent: true, returnPrevious: true }), err('NOT_FOUND'), null],
  ];
  for (const [options, request, reply, want] of setCases) {
    it(`SET k v ${options.join(' ')} -> ${JSON.stringify(want)}`, () => {
      expect(run(['SET', 'k', 'v', ...options], [[[request], [reply]]])).toEqual(want);
    });
  }

  const setErrors: [string[], string][] = [
    [['NX', 'XX'], SYNTAX],
    [['XX', 'NX'], SYNTAX],
    [['EX', '10', 'PX', '5'], SYNTAX],
    [['KEEPTTL', 'EX', '1'], SYNTAX],
    [['EX', '1', 'KEEPTTL'], SYNTAX],
    [['EX'], SYNTAX],
    [['FOO'], SYNTAX],
    [['EX', 'abc', 'NX', 'XX'], SYNTAX],
    [['EX', '0'], "-ERR invalid expire time in 'set' command"],
    [['PX', '-1'], "-ERR invalid expire time in 'set' command"],
    [['EX', '9223372036854775807'], "-ERR invalid expire time in 'set' command"],
    [['EX', 'abc'], NOT_INTEGER],
    [['PX', '1.5'], NOT_INTEGER],
    [['PX', '01'], NOT_INTEGER],
  ];
  for (const [options, want] of setErrors) {
    it(`SET k v ${options.join(' ')} -> ${want}`, () => expect(immediate(['SET', 'k', 'v', ...options])).toBe(want));
  }

  it('SET NX GET is GET then SET NX in one transaction: the value found, or null when it set', () => {
    const tx: Request = { op: 'tx', ops: [{ op: 'get', key: k }, { op: 'set', key: k, value: v, ifAbsent: true }], watch: [] };
    const found = ok({ found: true, replies: [ok({ found: true, value: u('old'), version: 1 }), err('KEY_EXISTS')] });
    const absent = ok({ found: true, replies: [ok({ found: false }), ok({ version: 2 })] });
    expect(run(['SET', 'k', 'v', 'NX', 'GET'], [[[tx], [found]]])).toBe('old');
    expect(run(['SET', 'k', 'v', 'GET', 'NX'], [[[tx], [absent]]])).toBe(null);
  });

  it('SETNX, SETEX, PSETEX, GETSET, GETDEL', () => {
    expect(run(['SETNX', 'k', 'v'], [[[set({ ifAbsent: true })], [ok({ version: 1 })]]])).toBe(1);
    expect(run(['SETNX', 'k', 'v'], [[[set({ ifAbsent: true })], [err('KEY_EXISTS', 'x', 1)]]])).toBe(0);
    expect(run(['SETEX', 'k', '10', 'v'], [[[set({ ttlMs: 10_000 })], [ok({ version: 1 })]]])).toBe('+OK');
    expect(immediate(['SETEX', 'k', '0', 'v'])).toBe("-ERR invalid expire time in 'setex' command");
    expect(immediate(['SETEX', 'k', 'x', 'v'])).toBe(NOT_INTEGER);
    expect(run(['PSETEX', 'k', '10', 'v'], [[[set({ ttlMs: 10 })], [ok({ version: 1 })]]])).toBe('+OK');
    expect(immediate(['PSETEX', 'k', '-5', 'v'])).toBe("-ERR invalid expire time in 'psetex' command");
    expect(run(['GETSET', 'k', 'v'], [[[set({ returnPrevious: true })], [ok({ previousFound: true, previousValue: u('o') })]]])).toBe('o');
    expect(run(['GETSET', 'k', 'v'], [[[set({ returnPrevious: true })], [ok({ previousFound: false })]]])).toBeNull();
    const getdel: Request = { op: 'del', key: k, returnPrevious: true };
    expect(run(['GETDEL', 'k'], [[[getdel], [ok({ found: true, previousFound: true, previousValue: v })]]])).toBe('v');
    expect(run(['GETDEL', 'k'], [[[getdel], [ok({ found: false, previousFound: false })]]])).toBeNull();
  });

  it('GETEX', () => {
    const found = ok({ found: true, value: v, version: 2 });
    expect(run(['GETEX', 'k'], [[[{ op: 'getEx', key: k }], [found]]])).toBe('v');
    expect(run(['GETEX', 'k', 'EX', '5'], [[[{ op: 'getEx', key: k, ttlMs: 5000 }], [found]]])).toBe('v');
    expect(run(['GETEX', 'k', 'pxat', '99'], [[[{ op: 'getEx', key: k, expireAtMs: 99 }], [found]]])).toBe('v');
    expect(run(['GETEX', 'k', 'PERSIST'], [[[{ op: 'getEx', key: k, persist: true }], [ok({ found: false })]]])).toBeNull();
    expect(immediate(['GETEX', 'k', 'PERSIST', 'EX', '5'])).toBe(SYNTAX);
    expect(immediate(['GETEX', 'k', 'EX', '5', 'PERSIST'])).toBe(SYNTAX);
    expect(immediate(['GETEX', 'k', 'KEEPTTL'])).toBe(SYNTAX);
    expect(immediate(['GETEX', 'k', 'EX', '0'])).toBe("-ERR invalid expire time in 'getex' command");
  });
});

describe('translate: counters and ranges', () => {
  const incr = (delta: bigint): Request => ({ op: 'incr', key: k, delta });
  it('INCR family', () => {
    expect(run(['INCR', 'k'], [[[incr(1n)], [ok({ integer: 5n, version: 2 })]]])).toBe(5);
    expect(run(['DECR', 'k'], [[[incr(-1n)], [ok({ integer: -1n, version: 2 })]]])).toBe(-1);
    expect(run(['INCRBY', 'k', '-10'], [[[incr(-10n)], [ok({ integer: -10n })]]])).toBe(-10);
    expect(run(['DECRBY', 'k', '5'], [[[incr(-5n)], [ok({ integer: -5n })]]])).toBe(-5);
    expect(run(['INCRBY', 'k', '9223372036854775807'], [[[incr((1n << 63n) - 1n)], [ok({ integer: (1n << 63n) - 1n })]]]))
      .toBe(Number((1n << 63n) - 1n));
    expect(run(['INCR', 'k'], [[[incr(1n)], [err('WRONG_TYPE')]]])).toBe(NOT_INTEGER);
    expect(run(['INCR', 'k'], [[[incr(1n)], [err('OVERFLOW')]]])).toBe('-ERR increment or decrement would overflow');
    expect(immediate(['INCRBY', 'k', '1.5'])).toBe(NOT_INTEGER);
    expect(immediate(['INCRBY', 'k', '9223372036854775808'])).toBe(NOT_INTEGER);
    expect(immediate(['INCRBY', 'k', ' 1'])).toBe(NOT_INTEGER);
    expect(immediate(['DECRBY', 'k', '-9223372036854775808'])).toBe('-ERR decrement would overflow');
  });

  it('INCRBYFLOAT', () => {
    const req: Request = { op: 'incrFloat', key: k, delta: 1.5 };
    expect(run(['INCRBYFLOAT', 'k', '1.5'], [[[req], [ok({ value: u('3.5'), version: 2 })]]])).toBe('3.5');
    expect(run(['INCRBYFLOAT', 'k', '1.5'], [[[req], [err('WRONG_TYPE')]]])).toBe('-ERR value is not a valid float');
    expect(run(['INCRBYFLOAT', 'k', '1.5'], [[[req], [err('OVERFLOW')]]])).toBe('-ERR increment would produce NaN or Infinity');
    expect(immediate(['INCRBYFLOAT', 'k', 'abc'])).toBe('-ERR value is not a valid float');
    expect(immediate(['INCRBYFLOAT', 'k', 'nan'])).toBe('-ERR value is not a valid float');
    expect(immediate(['INCRBYFLOAT', 'k', 'inf'])).toBe('-ERR increment would produce NaN or Infinity');
    expect(immediate(['INCRBYFLOAT', 'k', '1e400'])).toBe('-ERR increment would produce NaN or Infinity');
    const exp = translateWords(['INCRBYFLOAT', 'k', '-2.5e3']);
    expect(exp.kind === 'requests' && exp.requests).toEqual([{ op: 'incrFloat', key: k, delta: -2500 }]);
  });

  it('APPEND, STRLEN, GETRANGE, SETRANGE', () => {
    expect(run(['APPEND', 'k', 'v'], [[[{ op: 'append', key: k, value: v }], [ok({ integer: 4n, version: 2 })]]])).toBe(4);
    expect(run(['STRLEN', 'k'], [[[{ op: 'get', key: k }], [ok({ found: true, value: u('abc'), version: 1 })]]])).toBe(3);
    expect(run(['STRLEN', 'k'], [[[{ op: 'get', key: k }], [ok({ found: false })]]])).toBe(0);
    expect(run(['GETRANGE', 'k', '0', '-1'], [[[{ op: 'getRange', key: k, start: 0, end: -1 }], [ok({ value: u('bc') })]]])).toBe('bc');
    expect(run(['GETRANGE', 'k', '-99999999999999999', '5'], [[[{ op: 'getRange', key: k, start: Number.MIN_SAFE_INTEGER, end: 5 }],
      [ok({ found: false, value: new Uint8Array(0) })]]])).toBe('');
    expect(immediate(['GETRANGE', 'k', 'a', '1'])).toBe(NOT_INTEGER);
    expect(run(['SETRANGE', 'k', '5', 'v'], [[[{ op: 'setRange', key: k, offset: 5, value: v }], [ok({ integer: 6n })]]])).toBe(6);
    expect(immediate(['SETRANGE', 'k', '-1', 'v'])).toBe('-ERR offset is out of range');
    expect(immediate(['SETRANGE', 'k', 'x', 'v'])).toBe(NOT_INTEGER);
    expect(immediate(['SETRANGE', 'k', String(DEFAULT_LIMITS.valueBytesMax), 'v']))
      .toBe(`-ERR string exceeds maximum allowed size (${DEFAULT_LIMITS.valueBytesMax} bytes)`);
    // Nothing to write: the current length, without creating the key or checking the size.
    expect(run(['SETRANGE', 'k', '99999999999', ''], [[[{ op: 'get', key: k }], [ok({ found: true, value: u('abc') })]]])).toBe(3);
  });
});

describe('translate: expiry', () => {
  it('the EXPIRE family and EXPIRETIME run in the shard as data commands, their arguments as given', () => {
    const call = (name: string, ...args: string[]): Request => ({ op: 'call', name, args: args.map((a) => new TextEncoder().encode(a)) });
    expect(run(['EXPIRE', 'k', '10'], [[[call('expire', 'k', '10')], [ok({ data: { t: 'int', v: 1n } })]]])).toBe(1);
    expect(run(['PEXPIRE', 'k', '1500', 'NX'], [[[call('pexpire', 'k', '1500', 'NX')], [ok({ data: { t: 'int', v: 0n } })]]])).toBe(0);
    expect(run(['EXPIREAT', 'k', '5'], [[[call('expireat', 'k', '5')], [ok({ data: { t: 'int', v: 1n } })]]])).toBe(1);
    expect(run(['PEXPIRETIME', 'k'], [[[call('pexpiretime', 'k')], [ok({ data: { t: 'int', v: -1n } })]]])).toBe(-1);
    expect(immediate(['EXPIRE', 'k'])).toBe("-ERR wrong number of arguments for 'expire' command");
  });

  it('TTL rounds to the nearest second; PTTL does not', () => {
    const ttl = (ms: bigint, words = ['TTL', 'k']): unknown => run(words, [[[{ op: 'ttl', key: k }], [ok({ integer: ms })]]]);
    expect(ttl(-2n)).toBe(-2);
    expect(ttl(-1n)).toBe(-1);
    expect(ttl(499n)).toBe(0);
    expect(ttl(1499n)).toBe(1);
    expect(ttl(1500n)).toBe(2);
    expect(ttl(1499n, ['PTTL', 'k'])).toBe(1499);
    expect(ttl(-2n, ['PTTL', 'k'])).toBe(-2);
  });

  it('PERSIST', () => {
    expect(run(['PERSIST', 'k'], [[[{ op: 'expire', key: k }], [ok({ found: true })]]])).toBe(1);
    expect(run(['PERSIST', 'k'], [[[{ op: 'expire', key: k }], [ok({ found: false })]]])).toBe(0);
  });
});

describe('translate: keyspace', () => {
  const a = u('a');
  const b = u('b');
  it('MGET', () => {
    expect(run(['MGET', 'a', 'b'], [[[{ op: 'mget', keys: [a, b] }],
      [ok({ items: [{ found: true, value: u('1'), version: 1 }, { found: false }] })]]])).toEqual(['1', null]);
    const plan = translateWords(['MGET', 'a', 'b']);
    const w = new ReplyWriter(3);
    if (plan.kind === 'requests') plan.finish([ok({ items: [{ found: false }, { found: true, value: u('x') }] })], w);
    expect(Buffer.from(w.take()).toString()).toBe('*2\r\n_\r\n$1\r\nx\r\n');
    expect(run(['MGET', 'a'], [[[{ op: 'mget', keys: [a] }], [err('LIMIT_EXCEEDED', 'too big')]]])).toBe('-ERR too big');
  });

  it('MSET and MSETNX', () => {
    const entries = [{ key: a, value: u('1') }, { key: b, value: u('2') }];
    expect(run(['MSET', 'a', '1', 'b', '2'], [[[{ op: 'mset', entries }], [ok({ found: true })]]])).toBe('+OK');
    const exists: Request[] = [{ op: 'exists', key: a }, { op: 'exists', key: b }];
    const setIfNone: Request[] = [{ op: 'mset', entries, ifNoneExist: true }];
    expect(run(['MSETNX', 'a', '1', 'b', '2'], [
      [exists, [ok({ found: false }), ok({ found: false })]],
      [setIfNone, [ok({ found: true })]],
    ])).toBe(1);
    expect(run(['MSETNX', 'a', '1', 'b', '2'], [[exists, [ok({ found: false }), ok({ found: true })]]])).toBe(0);
    // A key created between the check and the set: a shard refused.
    expect(run(['MSETNX', 'a', '1', 'b', '2'], [
      [exists, [ok({ found: false }), ok({ found: false })]],
      [setIfNone, [ok({ found: false })]],
    ])).toBe(0);
  });

  it('DEL, UNLINK and EXISTS count per key', () => {
    const dels: Request[] = ['a', 'b', 'c'].map((key) => ({ op: 'del', key: u(key) }));
    expect(run(['DEL', 'a', 'b', 'c'], [[dels, [ok({ found: true }), ok({ found: false }), ok({ found: true })]]])).toBe(2);
    expect(run(['UNLINK', 'a', 'b', 'c'], [[dels, [ok({ found: false }), ok({ found: false }), ok({ found: false })]]])).toBe(0);
    expect(run(['EXISTS', 'a', 'a'], [[[{ op: 'exists', key: a }, { op: 'exists', key: a }], [ok({ found: true }), ok({ found: true })]]]))
      .toBe(2);
  });

  it('TYPE, DBSIZE, FLUSHDB, FLUSHALL', () => {
    expect(run(['TYPE', 'k'], [[[{ op: 'call', name: 'type', args: [k] }], [ok({ data: { t: 'status', v: 'string' } })]]])).toBe('+string');
    expect(run(['TYPE', 'k'], [[[{ op: 'call', name: 'type', args: [k] }], [ok({ data: { t: 'status', v: 'none' } })]]])).toBe('+none');
    expect(run(['DBSIZE'], [[[{ op: 'count' }], [ok({ integer: 7n })]]])).toBe(7);
    expect(run(['FLUSHDB'], [[[{ op: 'flush' }], [ok({ integer: 7n })]]])).toBe('+OK');
    expect(run(['flushall', 'async'], [[[{ op: 'flush' }], [ok()]]])).toBe('+OK');
    expect(immediate(['FLUSHDB', 'foo'])).toBe(SYNTAX);
    expect(immediate(['FLUSHALL', 'SYNC', 'SYNC'])).toBe(SYNTAX);
  });
});

describe('translate: versioned extensions', () => {
  it('CAS', () => {
    const cas: Request = { op: 'set', key: k, value: v, expectedVersion: 3 };
    expect(run(['CAS', 'k', '3', 'v'], [[[cas], [ok({ version: 4 })]]])).toBe(4);
    expect(run(['CAS', 'k', '3', 'v'], [[[cas], [err('VERSION_MISMATCH', 'x', 7)]]])).toBe('-VERSIONMISMATCH current version is 7');
    expect(run(['CAS', 'k', '0', 'v'], [[[{ ...cas, expectedVersion: 0 }], [err('VERSION_MISMATCH', 'x', 2)]]]))
      .toBe('-VERSIONMISMATCH current version is 2');
    expect(immediate(['CAS', 'k', '-1', 'v'])).toBe(NOT_INTEGER);
    expect(immediate(['CAS', 'k', 'x', 'v'])).toBe(NOT_INTEGER);
  });

  it('GETVER', () => {
    expect(run(['GETVER', 'k'], [[[{ op: 'get', key: k }], [ok({ found: true, value: v, version: 9 })]]])).toEqual(['v', 9]);
    expect(run(['GETVER', 'k'], [[[{ op: 'get', key: k }], [ok({ found: false })]]])).toBeNull();
  });
});

describe('translate: any input', () => {
  const word = fc.oneof(
    fc.constantFrom(...COMMAND_NAMES, 'nx', 'xx', 'ex', 'px', 'exat', 'pxat', 'get', 'keepttl', 'persist', 'async'),
    fc.constantFrom('0', '1', '-1', '10', '1.5', '9223372036854775807', '-9223372036854775808', '99999999999999999999', ''),
    fc.string({ maxLength: 6 }),
  );
  const someReply = (req: Request): Reply => ({
    ok: true,
    found: req.op !== 'del',
    value: u('12'),
    version: 1,
    integer: 12n,
    previousFound: true,
    previousValue: u('p'),
    items: req.op === 'mget' ? req.keys.map(() => ({ found: true, value: u('x'), version: 1 })) : undefined,
  });

  it('never throws; requests are within limits; finish writes exactly one reply', () => {
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 7 }), fc.constantFrom<RespProtocol>(2, 3), (words, protocol) => {
      let plan = translateWords(words);
      const w = new ReplyWriter(protocol);
      for (let step = 0; step < 3; step++) {
        if (plan.kind === 'connection') return;
        if (plan.kind === 'reply') {
          w.writeValue(plan.reply);
          break;
        }
        for (const req of plan.requests) expect(validateRequest(req, ctx.limits)).toBeNull();
        const next = plan.finish(plan.requests.map(someReply), w);
        if (!next) break;
        plan = next;
      }
      decodeOne(w.take());
    }), { numRuns: 1500 });
  });
});
