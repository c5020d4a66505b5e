// Single-key string commands (GET, SET and friends, counters, ranges) and
// Piccolo's versioned extensions CAS and GETVER. Each maps to one request on
// the key's shard, so each is atomic.

import type { Reply, Request, SetRequest } from '../protocol/ops.js';
import { expiryUnitOf, isOption, parseExpiry, type Expiry, type ExpiryUnit } from './command-args.js';
import {
  errorPlan, requestsPlan, writeErrReply, type CommandTable, type Finish, type Plan, type TranslateContext,
} from './plan.js';
import type { ReplyWriter } from './reply-encoder.js';
import {
  DECR_OVERFLOW_ERROR, FLOAT_OVERFLOW_ERROR, INCR_OVERFLOW_ERROR, NOT_FLOAT_ERROR, NOT_INTEGER_ERROR,
  OFFSET_RANGE_ERROR, stringTooLongError, SYNTAX_ERROR,
} from './resp-errors.js';
import { INT64_MIN, parseInt64 } from '../int64.js';
import { WRONG_KIND_MESSAGE } from '../types/wrong-kind.js';
import { parseFloatArg, parseInt64Number } from './resp-numbers.js';

const EMPTY = new Uint8Array(0);

function single(request: Request, finish: Finish, ctx: TranslateContext): Plan {
  return requestsPlan([request], finish, ctx);
}

// ---- finishers (shared by several commands) ---------------------------------

/** Bulk value or null: GET, GETEX. */
const finishValue: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  if (r.found && r.value) out.writeBulk(r.value);
  else out.writeNull();
};

/** Previous value or null: GETSET, GETDEL, SET ... GET. */
const finishPrevious: Finish = (replies, out) => {
  const r = replies[0]!;
  // A refused SET XX GET means the key was absent: its previous value is null.
  if (!r.ok) return isRefusal(r) ? out.writeNull() : writeErrReply(r, out);
  if (r.previousFound && r.previousValue) out.writeBulk(r.previousValue);
  else out.writeNull();
};

/** +OK, or null when NX / XX refused the write: SET, SETEX, PSETEX. */
const finishSetOk: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return isRefusal(r) ? out.writeNull() : writeErrReply(r, out);
  out.writeSimpleString('OK');
};

/** A SET NX / XX condition that did not hold (the shard's ifAbsent / ifPresent refusals). */
function isRefusal(r: Reply): boolean {
  return !r.ok && (r.code === 'KEY_EXISTS' || r.code === 'NOT_FOUND');
}

/** The reply's integer: APPEND, SETRANGE. */
const finishInteger: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  out.writeInteger(r.integer ?? 0n);
};

const finishIncr: Finish = (replies, out) => {
  const r = replies[0]!;
  if (r.ok) return out.writeInteger(r.integer ?? 0n);
  if (r.code === 'WRONG_TYPE' && r.message !== WRONG_KIND_MESSAGE) return out.writeError(NOT_INTEGER_ERROR);
  if (r.code === 'OVERFLOW') return out.writeError(INCR_OVERFLOW_ERROR);
  writeErrReply(r, out);
};

const finishIncrFloat: Finish = (replies, out) => {
  const r = replies[0]!;
  if (r.ok) return out.writeBulk(r.value ?? EMPTY);
  if (r.code === 'WRONG_TYPE' && r.message !== WRONG_KIND_MESSAGE) return out.writeError(NOT_FLOAT_ERROR);
  if (r.code === 'OVERFLOW') return out.writeError(FLOAT_OVERFLOW_ERROR);
  writeErrReply(r, out);
};

/** Length of the value, 0 if absent: STRLEN, and SETRANGE with nothing to write. */
const finishLength: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  out.writeInteger(r.found && r.value ? r.value.length : 0);
};

// ---- SET and its relatives ---------------------------------------------------

/**
 * SET key value [NX | XX] [GET] [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL].
 * Options are checked as Redis's parseExtendedStringArgumentsOrReply does
 * (conflicting options are a syntax error; the same expiry option twice is
 * allowed, the last wins), then the expiry value. NX with GET (Redis 7) is
 * a transaction of GET then SET NX in one log entry, since a refused NX does
 * not return the value it found.
 */
function translateSet(args: Uint8Array[], ctx: TranslateContext): Plan {
  let ifAbsent = false;
  let ifPresent = false;
  let returnPrevious = false;
  let keepTtl = false;
  let unit: ExpiryUnit | null = null;
  let amount: Uint8Array = EMPTY;
  for (let j = 3; j < args.length; j++) {
    const option = args[j]!;
    const optionUnit = expiryUnitOf(option);
    if (isOption(option, 'NX') && !ifPresent) ifAbsent = true;
    else if (isOption(option, 'XX') && !ifAbsent) ifPresent = true;
    else if (isOption(option, 'GET')) returnPrevious = true;
    else if (isOption(option, 'KEEPTTL') && unit === null) keepTtl = true;
    else if (optionUnit !== null && !keepTtl && (unit === null || unit === optionUnit) && j + 1 < args.length) {
      unit = optionUnit;
      amount = args[++j]!;
    } else {
      return errorPlan(SYNTAX_ERROR);
    }
  }
  const request: SetRequest = { op: 'set', key: args[1]!, value: args[2]! };
  if (ifAbsent) request.ifAbsent = true;
  if (ifPresent) request.ifPresent = true;
  if (keepTtl) request.keepTtl = true;
  if (returnPrevious && !ifAbsent) request.returnPrevious = true;
  if (unit !== null) {
    const expiry = parseExpiry(unit, amount, 'set', ctx);
    if ('error' in expiry) return errorPlan(expiry.error);
    Object.assign(request, expiry);
  }
  if (ifAbsent && returnPrevious) {
    return requestsPlan([{ op: 'tx', ops: [{ op: 'get', key: request.key }, request], watch: [] }], finishSetNxGet, ctx);
  }
  return single(request, returnPrevious ? finishPrevious : finishSetOk, ctx);
}

/** SET ... NX GET: the value the GET found (then the SET NX was refused), or null (then it set). */
const finishSetNxGet: Finish = (replies, out) => {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  const get = r.replies![0]!;
  if (!get.ok) return writeErrReply(get, out);
  if (get.found && get.value) out.writeBulk(get.value);
  else out.writeNull();
};

const finishSetNx: Finish = (replies, out) => {
  const r = replies[0]!;
  if (r.ok) return out.writeInteger(1);
  if (r.code === 'KEY_EXISTS') return out.writeInteger(0);
  writeErrReply(r, out);
};

/** SETEX key seconds value / PSETEX key ms value. */
function setWithTtl(unit: 'EX' | 'PX', command: string) {
  return (args: Uint8Array[], ctx: TranslateContext): Plan => {
    const expiry = parseExpiry(unit, args[2]!, command, ctx);
    if ('error' in expiry) return errorPlan(expiry.error);
    return single({ op: 'set', key: args[1]!, value: args[3]!, ...expiry }, finishSetOk, ctx);
  };
}

/** GETEX key [EX s | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]. */
function translateGetEx(args: Uint8Array[], ctx: TranslateContext): Plan {
  let persist = false;
  let unit: ExpiryUnit | null = null;
  let amount: Uint8Array = EMPTY;
  for (let j = 2; j < args.length; j++) {
    const option = args[j]!;
    const optionUnit = expiryUnitOf(option);
    if (isOption(option, 'PERSIST') && unit === null) persist = true;
    else if (optionUnit !== null && !persist && (unit === null || unit === optionUnit) && j + 1 < args.length) {
      unit = optionUnit;
      amount = args[++j]!;
    } else {
      return errorPlan(SYNTAX_ERROR);
    }
  }
  let expiry: Expiry | { persist: true } | undefined;
  if (unit !== null) {
    const parsed = parseExpiry(unit, amount, 'getex', ctx);
    if ('error' in parsed) return errorPlan(parsed.error);
    expiry = parsed;
  } else if (persist) {
    expiry = { persist: true };
  }
  return single({ op: 'getEx', key: args[1]!, ...expiry }, finishValue, ctx);
}

// ---- counters -----------------------------------------------------------------

function incrBy(delta: bigint, args: Uint8Array[], ctx: TranslateContext): Plan {
  return single({ op: 'incr', key: args[1]!, delta }, finishIncr, ctx);
}

function translateIncrBy(args: Uint8Array[], ctx: TranslateContext): Plan {
  const delta = parseInt64(args[2]!);
  if (delta === null) return errorPlan(NOT_INTEGER_ERROR);
  return incrBy(delta, args, ctx);
}

function translateDecrBy(args: Uint8Array[], ctx: TranslateContext): Plan {
  const delta = parseInt64(args[2]!);
  if (delta === null) return errorPlan(NOT_INTEGER_ERROR);
  if (delta === INT64_MIN) return errorPlan(DECR_OVERFLOW_ERROR); // its negation is not an int64
  return incrBy(-delta, args, ctx);
}

function translateIncrByFloat(args: Uint8Array[], ctx: TranslateContext): Plan {
  const delta = parseFloatArg(args[2]!);
  if (delta === null) return errorPlan(NOT_FLOAT_ERROR);
  if (!Number.isFinite(delta)) return errorPlan(FLOAT_OVERFLOW_ERROR);
  return single({ op: 'incrFloat', key: args[1]!, delta }, finishIncrFloat, ctx);
}

// ---- ranges --------------------------------------------------------------------

/** An int64 index clamped to safe integers: no value is anywhere near 2^53 bytes, so the result is the same. */
function clampedIndex(arg: Uint8Array): number | null {
  const n = parseInt64Number(arg);
  if (n === null) return null;
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
}

function translateGetRange(args: Uint8Array[], ctx: TranslateContext): Plan {
  const start = clampedIndex(args[2]!);
  const end = clampedIndex(args[3]!);
  if (start === null || end === null) return errorPlan(NOT_INTEGER_ERROR);
  return single({ op: 'getRange', key: args[1]!, start, end }, (replies, out) => {
    const r = replies[0]!;
    if (!r.ok) return writeErrReply(r, out);
    out.writeBulk(r.value ?? EMPTY);
  }, ctx);
}

function translateSetRange(args: Uint8Array[], ctx: TranslateContext): Plan {
  const offset = parseInt64Number(args[2]!);
  if (offset === null) return errorPlan(NOT_INTEGER_ERROR);
  if (offset < 0) return errorPlan(OFFSET_RANGE_ERROR);
  const value = args[3]!;
  // Nothing to write: Redis answers the current length and creates no key (and checks no size).
  if (value.length === 0) return single({ op: 'get', key: args[1]! }, finishLength, ctx);
  const { valueBytesMax } = ctx.limits;
  if (offset + value.length > valueBytesMax) return errorPlan(stringTooLongError(valueBytesMax));
  return single({ op: 'setRange', key: args[1]!, offset, value }, finishInteger, ctx);
}

// ---- Piccolo extensions --------------------------------------------------------

/**
 * CAS key expectedVersion newValue: set only if the key's version is
 * expectedVersion (0 = the key must be absent). Replies the new version, or
 * `-VERSIONMISMATCH current version is N`. Like SET, it clears any TTL.
 */
function translateCas(args: Uint8Array[], ctx: TranslateContext): Plan {
  const expectedVersion = parseInt64Number(args[2]!);
  if (expectedVersion === null || expectedVersion < 0 || !Number.isSafeInteger(expectedVersion)) {
    return errorPlan(NOT_INTEGER_ERROR);
  }
  return single({ op: 'set', key: args[1]!, value: args[3]!, expectedVersion }, (replies, out) => {
    const r = replies[0]!;
    if (!r.ok) return writeErrReply(r, out);
    out.writeInteger(r.version ?? 0);
  }, ctx);
}

/** GETVER key: [value, version], or a null array when the key is absent. */
function writeValueAndVersion(replies: readonly Reply[], out: ReplyWriter): void {
  const r = replies[0]!;
  if (!r.ok) return writeErrReply(r, out);
  if (!r.found || !r.value) return out.writeNullArray();
  out.writeArrayHeader(2);
  out.writeBulk(r.value);
  out.writeInteger(r.version ?? 0);
}

// ---- the table -----------------------------------------------------------------

export const STRING_COMMANDS: CommandTable = {
  get: { arity: 2, translate: (args, ctx) => single({ op: 'get', key: args[1]! }, finishValue, ctx) },
  set: { arity: -3, translate: translateSet },
  setnx: {
    arity: 3,
    translate: (args, ctx) => single({ op: 'set', key: args[1]!, value: args[2]!, ifAbsent: true }, finishSetNx, ctx),
  },
  setex: { arity: 4, translate: setWithTtl('EX', 'setex') },
  psetex: { arity: 4, translate: setWithTtl('PX', 'psetex') },
  getset: {
    arity: 3,
    translate: (args, ctx) => single({ op: 'set', key: args[1]!, value: args[2]!, returnPrevious: true }, finishPrevious, ctx),
  },
  getdel: {
    arity: 2,
    translate: (args, ctx) => single({ op: 'del', key: args[1]!, returnPrevious: true }, finishPrevious, ctx),
  },
  getex: { arity: -2, translate: translateGetEx },
  incr: { arity: 2, translate: (args, ctx) => incrBy(1n, args, ctx) },
  decr: { arity: 2, translate: (args, ctx) => incrBy(-1n, args, ctx) },
  incrby: { arity: 3, translate: translateIncrBy },
  decrby: { arity: 3, translate: translateDecrBy },
  incrbyfloat: { arity: 3, translate: translateIncrByFloat },
  append: { arity: 3, translate: (args, ctx) => single({ op: 'append', key: args[1]!, value: args[2]! }, finishInteger, ctx) },
  // A get: the shards have no length-only op, so the value crosses to the IO thread to be measured.
  strlen: { arity: 2, translate: (args, ctx) => single({ op: 'get', key: args[1]! }, finishLength, ctx) },
  getrange: { arity: 4, translate: translateGetRange },
  setrange: { arity: 4, translate: translateSetRange },
  cas: { arity: 4, translate: translateCas },
  getver: { arity: 2, translate: (args, ctx) => single({ op: 'get', key: args[1]! }, writeValueAndVersion, ctx) },
};
