// fast-check arbitraries for the request/reply model (core/protocol/ops.ts).
// Requests are valid under DEFAULT_LIMITS and in canonical form (optional
// flags present only when true, absent options absent), so that any codec
// must give them back exactly: decode(encode(r)) deep-equals r. Objects are
// plain (fc.record makes null-prototype objects, which toStrictEqual tells apart).

import fc from 'fast-check';
import { ErrorCode, type ErrorName } from '../../core/errors.js';
import type { DataValue } from '../../core/protocol/data-value.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type {
  CallRequest, DelRequest, ErrReply, ExpireRequest, GetExRequest, ItemReply, MSetRequest, OkReply, Reply, Request, ScanItem,
  ScanRequest, SetRequest,
} from '../../core/protocol/ops.js';
import { TTL_MS_MAX } from '../../core/protocol/validate.js';
import { DATA_VALUE_DEPTH_MAX } from '../../schema/data-value-limits.js';
import { JSON_ID_CHARS_MAX } from '../../schema/json-codec.js';
import { DATA_COMMANDS } from '../../core/types/data-commands.js';

const encoder = new TextEncoder();

/** Bytes that are text (the JSON "value" path) or arbitrary (the "valueBase64" path), plus UTF-8 edge cases. */
export function arbBytes(opts: { minLength?: number; maxLength: number }): fc.Arbitrary<Uint8Array> {
  const minLength = opts.minLength ?? 0;
  return fc.oneof(
    fc.uint8Array({ minLength, maxLength: opts.maxLength }),
    fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, Math.floor(opts.maxLength / 4)) })
      .map((s) => encoder.encode(s))
      .filter((b) => b.length >= minLength && b.length <= opts.maxLength),
    fc.constantFrom(
      Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), // a BOM, which a lenient UTF-8 decoder would drop
      Uint8Array.of(0xed, 0xa0, 0x80), // an encoded surrogate: not valid UTF-8
      Uint8Array.of(0xc3), // a truncated sequence
      Uint8Array.of(0x00, 0x22, 0x5c), // NUL, quote, backslash
    ).filter((b) => b.length >= minLength && b.length <= opts.maxLength),
  );
}

export const arbKey: fc.Arbitrary<Uint8Array> = arbBytes({ minLength: 1, maxLength: 48 });
export const arbValue: fc.Arbitrary<Uint8Array> = arbBytes({ maxLength: 200 });

/** Safe non-negative integers, biased to both small and huge values. */
export const arbVersion: fc.Arbitrary<number> = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());
const arbPositiveMs: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 1, max: 86_400_000 }), fc.integer({ min: 1, max: TTL_MS_MAX }));
const arbSafeInt: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger());
export const arbInt64: fc.Arbitrary<bigint> = fc.oneof(fc.bigInt({ min: -1000n, max: 1000n }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
/** Finite doubles; -0 is folded into 0 because JSON cannot tell them apart. */
const arbFiniteDouble: fc.Arbitrary<number> = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (d === 0 ? 0 : d));

/** TTL options in canonical form: none, ttlMs, expireAtMs, or both. */
const arbTtlOptions = fc.record({ ttlMs: arbPositiveMs, expireAtMs: arbPositiveMs }, { requiredKeys: [] });

const arbSet: fc.Arbitrary<SetRequest> = fc.record({
  key: arbKey,
  value: arbValue,
  condition: fc.constantFrom('none', 'ifAbsent', 'ifPresent'),
  expectedVersion: fc.option(arbVersion, { nil: undefined }),
  ttl: fc.oneof(arbTtlOptions, fc.constant('keepTtl' as const)),
  returnPrevious: fc.boolean(),
}).map(({ key, value, condition, expectedVersion, ttl, returnPrevious }) => {
  const req: SetRequest = { op: 'set', key, value };
  if (condition === 'ifAbsent') req.ifAbsent = true;
  if (condition === 'ifPresent') req.ifPresent = true;
  if (expectedVersion !== undefined) req.expectedVersion = expectedVersion;
  if (ttl === 'keepTtl') req.keepTtl = true;
  else Object.assign(req, ttl);
  if (returnPrevious) req.returnPrevious = true;
  return req;
});

const arbDel: fc.Arbitrary<DelRequest> = fc.record({
  key: arbKey, expectedVersion: fc.option(arbVersion, { nil: undefined }), returnPrevious: fc.boolean(),
}).map(({ key, expectedVersion, returnPrevious }) => {
  const req: DelRequest = { op: 'del', key };
  if (expectedVersion !== undefined) req.expectedVersion = expectedVersion;
  if (returnPrevious) req.returnPrevious = true;
  return req;
});

const arbExpire: fc.Arbitrary<ExpireRequest> = fc.record({ key: arbKey, ttl: arbTtlOptions })
  .map(({ key, ttl }) => ({ op: 'expire', key, ...ttl }));

const arbGetEx: fc.Arbitrary<GetExRequest> = fc.record({ key: arbKey, ttl: fc.oneof(arbTtlOptions, fc.constant('persist' as const)) })
  .map(({ key, ttl }) => (ttl === 'persist' ? { op: 'getEx', key, persist: true } : { op: 'getEx', key, ...ttl }));

const arbScan: fc.Arbitrary<ScanRequest> = fc.record({
  prefix: arbBytes({ maxLength: 32 }),
  cursor: fc.uint8Array({ maxLength: 40 }),
  limit: fc.integer({ min: 1, max: DEFAULT_LIMITS.scanLimitMax }),
  withValues: fc.boolean(),
}).map(({ withValues, ...rest }) => (withValues ? { op: 'scan', ...rest, withValues: true } : { op: 'scan', ...rest }));

const arbMSet: fc.Arbitrary<MSetRequest> = fc.record({
  entries: fc.array(fc.record({ key: arbKey, value: arbValue }).map((e) => ({ ...e })), { minLength: 1, maxLength: 8 }),
  ifNoneExist: fc.boolean(),
}).map(({ entries, ifNoneExist }) => (ifNoneExist ? { op: 'mset', entries, ifNoneExist: true } : { op: 'mset', entries }));

const arbText = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.string({ maxLength }).map((t) => encoder.encode(t));
const arbDecimal: fc.Arbitrary<Uint8Array> = fc.integer({ min: -100, max: 100 }).map((n) => encoder.encode(String(n)));
const arbScoreText: fc.Arbitrary<Uint8Array> = fc.oneof(arbDecimal, fc.double({ noNaN: true }).map((d) => encoder.encode(String(d))));

/**
 * Data commands as Redis takes them (valid arity, so any validation passes
 * them): a command table entry's name and its arguments. Field and member
 * bytes are arbitrary; the codecs do not look inside.
 */
export const arbCallRequest: fc.Arbitrary<CallRequest> = fc.oneof(
  fc.tuple(arbKey, fc.nat({ max: 1 << 20 }), fc.constantFrom('0', '1'))
    .map(([key, offset, bit]) => ({ name: 'setbit', args: [key, encoder.encode(String(offset)), encoder.encode(bit)] })),
  fc.tuple(fc.constantFrom('type', 'bitcount', 'dump'), arbKey).map(([name, key]) => ({ name, args: [key] })),
  fc.tuple(arbKey, fc.array(fc.tuple(arbValue, arbValue), { minLength: 1, maxLength: 4 }))
    .map(([key, pairs]) => ({ name: 'hset', args: [key, ...pairs.flat()] })),
  fc.tuple(arbKey, arbValue).map(([key, field]) => ({ name: 'hget', args: [key, field] })),
  arbKey.map((key) => ({ name: 'hgetall', args: [key] })),
  fc.tuple(fc.constantFrom('lpush', 'rpush', 'sadd'), arbKey, fc.array(arbValue, { minLength: 1, maxLength: 5 }))
    .map(([name, key, values]) => ({ name, args: [key, ...values] })),
  fc.tuple(fc.constantFrom('lpop', 'smembers', 'hlen', 'llen', 'scard'), arbKey).map(([name, key]) => ({ name, args: [key] })),
  fc.tuple(arbKey, arbDecimal, arbDecimal).map(([key, start, stop]) => ({ name: 'lrange', args: [key, start, stop] })),
  fc.tuple(arbKey, arbValue).map(([key, member]) => ({ name: 'sismember', args: [key, member] })),
  fc.tuple(arbKey, fc.array(fc.tuple(arbScoreText, arbValue), { minLength: 1, maxLength: 3 }))
    .map(([key, pairs]) => ({ name: 'zadd', args: [key, ...pairs.flat()] })),
  fc.tuple(arbKey, arbValue).map(([key, member]) => ({ name: 'zscore', args: [key, member] })),
  fc.tuple(arbKey, arbDecimal, arbDecimal).map(([key, start, stop]) => ({ name: 'zrange', args: [key, start, stop] })),
  fc.tuple(arbKey, arbText(8)).map(([key, field]) => ({ name: 'hdel', args: [key, field] })),
)
  // Only commands this build's table holds: the decoders validate, and an unknown name is refused.
  .filter(({ name }) => DATA_COMMANDS.has(name))
  .map(({ name, args }): CallRequest => ({ op: 'call', name, args }));

/** Doubles as a reply carries them: any, the infinities and NaN included (-0 folded, as JSON cannot tell it apart). */
const arbAnyDouble: fc.Arbitrary<number> = fc.double().map((d) => (d === 0 ? 0 : d));

/** Reply trees of every kind, at most DATA_VALUE_DEPTH_MAX levels deep. */
export const arbDataValue: fc.Arbitrary<DataValue> = fc.letrec<{ value: DataValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: DATA_VALUE_DEPTH_MAX - 1, withCrossShrink: true },
    fc.constant<DataValue>({ t: 'nil' }),
    fc.constant<DataValue>({ t: 'nilArray' }),
    arbInt64.map((v): DataValue => ({ t: 'int', v })),
    arbValue.map((v): DataValue => ({ t: 'bytes', v })),
    arbAnyDouble.map((v): DataValue => ({ t: 'double', v })),
    fc.constantFrom('OK', 'QUEUED', '').map((v): DataValue => ({ t: 'status', v })),
    fc.array(tie('value'), { maxLength: 4 }).map((v): DataValue => ({ t: 'array', v })),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((pairs): DataValue => ({ t: 'map', v: pairs.flat() })),
    fc.array(tie('value'), { maxLength: 4 }).map((v): DataValue => ({ t: 'set', v })),
  ),
})).value;

/** Every op, valid under DEFAULT_LIMITS, canonical form. */
export const arbRequest: fc.Arbitrary<Request> = fc.oneof(
  arbKey.map((key): Request => ({ op: 'get', key })),
  arbSet,
  arbDel,
  fc.record({ key: arbKey, delta: arbInt64 }).map(({ key, delta }): Request => ({ op: 'incr', key, delta })),
  fc.record({ key: arbKey, delta: arbFiniteDouble }).map(({ key, delta }): Request => ({ op: 'incrFloat', key, delta })),
  fc.record({ key: arbKey, value: arbValue }).map(({ key, value }): Request => ({ op: 'append', key, value })),
  arbKey.map((key): Request => ({ op: 'exists', key })),
  arbKey.map((key): Request => ({ op: 'ttl', key })),
  arbExpire,
  fc.record({ key: arbKey, start: arbSafeInt, end: arbSafeInt }).map(({ key, start, end }): Request => ({ op: 'getRange', key, start, end })),
  fc.record({ key: arbKey, offset: fc.nat({ max: 1_000_000 }), value: arbValue })
    .map(({ key, offset, value }): Request => ({ op: 'setRange', key, offset, value })),
  arbGetEx,
  arbScan,
  fc.array(arbKey, { minLength: 1, maxLength: 12 }).map((keys): Request => ({ op: 'mget', keys })),
  arbMSet,
  fc.constant<Request>({ op: 'count' }),
  fc.constant<Request>({ op: 'flush' }),
);

/** Calls join transactions once the core validates them there (see data-commands.ts). */
const arbTxOp: fc.Arbitrary<Request> = fc.oneof(
  { weight: 4, arbitrary: arbRequest.filter((r) => r.op !== 'scan' && r.op !== 'count' && r.op !== 'flush') },
  { weight: 1, arbitrary: arbCallRequest },
);

/**
 * A transaction of ops a transaction may hold, and watched keys (not in
 * arbRequest, whose ops are each one command; see arbWireRequest).
 */
export const arbTxRequest: fc.Arbitrary<Request> = fc.record({
  ops: fc.array(arbTxOp, { maxLength: 5 }),
  watch: fc.array(fc.record({ key: arbKey, version: arbVersion }).map((w) => ({ ...w })), { maxLength: 3 }),
}).map(({ ops, watch }): Request => ({ op: 'tx', ops, watch }));

export const arbItemReply: fc.Arbitrary<ItemReply> = fc.record(
  { found: fc.boolean(), value: arbValue, version: arbVersion },
  { requiredKeys: ['found'] },
).map((item) => ({ ...item }));

export const arbScanItem: fc.Arbitrary<ScanItem> = fc.record(
  { key: arbKey, value: arbValue, version: arbVersion },
  { requiredKeys: ['key', 'version'] },
).map((item) => ({ ...item }));

/** Any combination of OkReply fields (codecs must carry each one independently). */
export const arbOkReply: fc.Arbitrary<OkReply> = fc.record(
  {
    found: fc.boolean(),
    value: arbValue,
    version: arbVersion,
    integer: arbInt64,
    previousFound: fc.boolean(),
    previousValue: arbValue,
    items: fc.array(arbItemReply, { maxLength: 6 }),
    scanItems: fc.array(arbScanItem, { maxLength: 6 }),
    cursor: fc.uint8Array({ maxLength: 40 }),
  },
  { requiredKeys: [] },
).map((fields): OkReply => ({ ok: true, ...fields }));

export const ERROR_NAMES = Object.keys(ErrorCode) as ErrorName[];

export const arbErrReply: fc.Arbitrary<ErrReply> = fc.record(
  { code: fc.constantFrom(...ERROR_NAMES), message: fc.string({ unit: 'grapheme', maxLength: 80 }), currentVersion: arbVersion },
  { requiredKeys: ['code', 'message'] },
).map((fields): ErrReply => ({ ok: false, ...fields }));

export const arbReply: fc.Arbitrary<Reply> = fc.oneof(arbOkReply, arbErrReply);

/** A call's reply: any OK fields plus a data tree (codecs carry each field independently). */
export function arbDataReplyOf(data: fc.Arbitrary<DataValue>): fc.Arbitrary<OkReply> {
  return fc.tuple(arbOkReply, data).map(([fields, value]): OkReply => ({ ...fields, data: value }));
}

/** What a transaction's reply may carry: any OK fields, and one reply per op (never nested further). */
function arbTxReplyOf(data: fc.Arbitrary<DataValue>): fc.Arbitrary<OkReply> {
  const arbOpReply = fc.oneof({ weight: 3, arbitrary: arbReply }, { weight: 1, arbitrary: arbDataReplyOf(data) });
  return fc.tuple(arbOkReply, fc.array(arbOpReply, { maxLength: 5 })).map(([fields, replies]): OkReply => ({ ...fields, replies }));
}

export const arbTxReply: fc.Arbitrary<OkReply> = arbTxReplyOf(arbDataValue);

/**
 * Every request a wire format carries: single ops, data commands, and
 * transactions of them. (arbRequest leaves calls out: the ring codec and the
 * shard model take them up with the core's data commands.)
 */
export const arbWireRequest: fc.Arbitrary<Request> = fc.oneof(
  { weight: 6, arbitrary: arbRequest }, { weight: 2, arbitrary: arbCallRequest }, { weight: 1, arbitrary: arbTxRequest },
);

/** Every reply a wire format carries with data trees from `data`, transactions' nested replies included. */
export function arbWireReplyOf(data: fc.Arbitrary<DataValue>): fc.Arbitrary<Reply> {
  return fc.oneof(
    { weight: 6, arbitrary: arbReply }, { weight: 2, arbitrary: arbDataReplyOf(data) }, { weight: 1, arbitrary: arbTxReplyOf(data) },
  );
}

/** Every reply a wire format carries (Cap'n Proto carries every data tree exactly). */
export const arbWireReply: fc.Arbitrary<Reply> = arbWireReplyOf(arbDataValue);

/** Ids for binary frames (UInt64). */
export const arbBinaryId: fc.Arbitrary<bigint> = fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

/** Ids for JSON frames: safe non-negative integers or short strings. */
export const arbJsonId: fc.Arbitrary<number | string> = fc.oneof(fc.maxSafeNat(), fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => s.length <= JSON_ID_CHARS_MAX));
