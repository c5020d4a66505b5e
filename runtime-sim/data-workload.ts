// Data commands in the simulated workload (on with a data share, SimOptions.dataShare),
// mapped onto checkers that already exist or are small:
//
// - Hash fields as registers: (hash key, field) is one register whose
//   history key is `h0/f2` (it routes by its hash key). HGET = read, HSET =
//   write, HDEL = delete, HINCRBY = incr (on counter fields only, which
//   nothing else writes but HDEL), so the register checker judges them
//   linearizable exactly as it judges string keys.
// - Big hashes: in some runs one hash key is also filled past the compact
//   form's field limit (HASH_COMPACT_ENTRIES_MAX) in batches of filler
//   fields, so its large table's exact-layout image is what snapshots carry
//   and lagging replicas install; the replica digest checks compare them.
//   A batch is one HSET of FILL_BATCH_FIELDS fields, all set to one value,
//   recorded as a write of the batch's first field (the final read-back reads
//   it with HGET); the others are judged only by the digests.
// - Lists as queues: LPUSH of unique values and RPOP, in their own history,
//   judged by core/checker/queue-order.ts (runtime-sim/queue-workload.ts).

import { HASH_COMPACT_ENTRIES_MAX, HASH_COMPACT_VALUE_BYTES_MAX } from '../core/types/hash/hash-compact.js';
import { assert } from '../core/assert.js';
import { utf8 } from '../core/bytes.js';
import type { Reply } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import type { ClientSession } from './client-session.js';
import type { DataSpec } from './config.js';
import { runQueueOp, QueueRecorder } from './queue-workload.js';
import { checkedRead, performOp, type ClientContext, type OpResult, type PlannedOp } from './recording-client.js';
import { encodeValue } from './values.js';
import { isCanonicalDecimalInt64 } from '../core/checker/decimal-int64.js';

/**
 * Filler fields per HSET: 6 pairs of a value just past the compact limit (~75 bytes a pair) stay well below
 * a frame (768 bytes in the simulator). Long values convert the hash to its table on the first batch: a
 * compact hash is never filled past the node's value limit (see HASH_FIELDS_PER_KEY_MAX in config.ts).
 */
export const FILL_BATCH_FIELDS = 6;
/** Bytes of a filler value: one past what a compact hash holds, so the table takes over at once. */
const FILL_VALUE_BYTES = HASH_COMPACT_VALUE_BYTES_MAX + 1;
/** Fields a big hash gets from fillers: past the compact limit by a margin, so the table is always large. */
export const FILL_FIELDS_TARGET = 160;
assert(FILL_FIELDS_TARGET > HASH_COMPACT_ENTRIES_MAX, 'a big hash must pass the compact field limit');
/** Chance that a hash operation on an unfilled big hash is a filler batch: fills it within the first part of a run. */
const FILL_CHANCE = 0.5;
const FILL_BATCHES = Math.ceil(FILL_FIELDS_TARGET / FILL_BATCH_FIELDS);

/** A hash field's register in the history. */
interface HashRegister { hashKey: string; field: string }

/** What every client of a run shares about data commands. */
export interface DataContext {
  spec: DataSpec;
  /** History key -> its hash key and field, for every register the final read-back reads. */
  registers: Map<string, HashRegister>;
  queue: QueueRecorder;
  /** Filler batches issued so far, per big hash key. */
  fillBatches: Map<string, number>;
}

export function hashRegisterKey(hashKey: string, field: string): string {
  return `${hashKey}/${field}`;
}

export function makeDataContext(spec: DataSpec): DataContext {
  const registers = new Map<string, HashRegister>();
  const add = (hashKey: string, field: string): void => { registers.set(hashRegisterKey(hashKey, field), { hashKey, field }); };
  for (const hashKey of spec.hashKeys) for (const field of [...spec.hashFields, ...spec.hashCounterFields]) add(hashKey, field);
  for (const hashKey of spec.bigHashKeys) for (let b = 0; b < FILL_BATCHES; b++) add(hashKey, fillField(b, 0));
  return { spec, registers, queue: new QueueRecorder(), fillBatches: new Map() };
}

/** History keys of the counter fields (read back as integers, like counter keys). */
export function hashCounterKeys(spec: DataSpec): string[] {
  return spec.hashKeys.flatMap((hashKey) => spec.hashCounterFields.map((field) => hashRegisterKey(hashKey, field)));
}

function fillField(batch: number, i: number): string {
  return `z${batch * FILL_BATCH_FIELDS + i}`;
}

/** One data operation of a workload process: a list push or pop, or a hash field operation. */
export function runDataOp(ctx: ClientContext, session: ClientSession, process: number, rng: Random, padMax: number, nextSeq: () => number, then: () => void): void {
  const data = ctx.data!;
  if (rng.chance(data.spec.listShare)) {
    runQueueOp(ctx, session, process, rng, nextSeq, then);
    return;
  }
  const op = planFill(ctx, rng, process, nextSeq) ?? planHashOp(ctx, rng, process, padMax, nextSeq);
  performOp(ctx, session, process, op, () => then());
}

function planHashOp(ctx: ClientContext, rng: Random, process: number, padMax: number, nextSeq: () => number): PlannedOp {
  const { spec } = ctx.data!;
  const hashKey = rng.pick(spec.hashKeys);
  const w = spec.hashWeights;
  const f = (['read', 'write', 'delete', 'incr'] as const)[rng.weighted([w.read, w.write, w.delete, w.incr])]!;
  const counter = f === 'incr' || (f !== 'write' && spec.hashCounterFields.length > 0 && rng.chance(spec.hashCounterFields.length / (spec.hashCounterFields.length + spec.hashFields.length)));
  const field = rng.pick(counter ? spec.hashCounterFields : spec.hashFields);
  const key = hashRegisterKey(hashKey, field);
  const args = [utf8(hashKey), utf8(field)];
  switch (f) {
    case 'read': return { f, key, routeKey: hashKey, invokeValue: null, request: { op: 'call', name: 'hget', args } };
    case 'delete': return { f, key, routeKey: hashKey, invokeValue: null, request: { op: 'call', name: 'hdel', args } };
    case 'write': {
      const id = `${key}=${process}:${nextSeq()}`;
      // Padded values are all longer than a compact hash holds (the table at once), or not padded at all: a
      // compact hash of padded values would pass the node's value limit (HASH_FIELDS_PER_KEY_MAX, config.ts).
      const padBytes = padMax >> 1 > HASH_COMPACT_VALUE_BYTES_MAX ? rng.int(padMax >> 1, padMax) : 0;
      ctx.known.add(key, id, padBytes);
      return { f, key, routeKey: hashKey, invokeValue: id, request: { op: 'call', name: 'hset', args: [...args, encodeValue(id, padBytes)] } };
    }
    case 'incr': {
      const delta = rng.int(-100, 100);
      return { f, key, routeKey: hashKey, invokeValue: String(delta), request: { op: 'call', name: 'hincrby', args: [...args, utf8(String(delta))] } };
    }
  }
}

/** A filler batch for a big hash not yet filled, or null (see the header). */
function planFill(ctx: ClientContext, rng: Random, process: number, nextSeq: () => number): PlannedOp | null {
  const data = ctx.data!;
  if (data.spec.bigHashKeys.length === 0 || !rng.chance(FILL_CHANCE)) return null;
  const hashKey = rng.pick(data.spec.bigHashKeys);
  const batch = data.fillBatches.get(hashKey) ?? 0;
  if (batch >= FILL_BATCHES) return null;
  data.fillBatches.set(hashKey, batch + 1);
  const key = hashRegisterKey(hashKey, fillField(batch, 0));
  const id = `${key}=${process}:${nextSeq()}`;
  assert(id.length < FILL_VALUE_BYTES, 'a filler id fits its value');
  ctx.known.add(key, id, FILL_VALUE_BYTES - id.length);
  const value = encodeValue(id, FILL_VALUE_BYTES - id.length);
  const args = [utf8(hashKey)];
  for (let i = 0; i < FILL_BATCH_FIELDS; i++) args.push(utf8(fillField(batch, i)), value);
  return { f: 'write', key, routeKey: hashKey, invokeValue: id, request: { op: 'call', name: 'hset', args } };
}

/** The final read-back of `key`: HGET for a hash field's register, else GET. */
export function finalReadOf(ctx: ClientContext, key: string): PlannedOp {
  const register = ctx.data?.registers.get(key);
  if (register === undefined) return { f: 'read', key, invokeValue: null, request: { op: 'get', key: ctx.keys.get(key).bytes } };
  return {
    f: 'read', key, routeKey: register.hashKey, invokeValue: null,
    request: { op: 'call', name: 'hget', args: [utf8(register.hashKey), utf8(register.field)] },
  };
}

/** What an ok reply of a hash field command says, or null (with a corruption finding) when it is malformed. */
export function interpretHashReply(ctx: ClientContext, where: string, op: PlannedOp, reply: Extract<Reply, { ok: true }>): OpResult | null {
  const data = reply.data;
  const malformed = (what: string): null => {
    ctx.findings.corruption.push(`${where}: ${what}`);
    return null;
  };
  switch (op.f) {
    case 'read':
      if (data?.t === 'nil') return { type: 'ok', value: null, version: 0 };
      if (data?.t !== 'bytes') return malformed('HGET reply neither nil nor bytes');
      // Counter fields are in ctx.counterKeys: checkedRead wants a canonical integer there.
      return checkedRead(ctx, where, op.key, data.v, 0);
    case 'write':
      // HSET answers how many fields it added: 0 or 1 here, up to a batch for a filler.
      if (data?.t !== 'int' || data.v < 0n) return malformed('HSET reply is not a field count');
      if (typeof reply.version !== 'number' || reply.version <= 0) return malformed('HSET reply without a version');
      return { type: 'ok', value: op.invokeValue };
    case 'delete':
      if (data?.t !== 'int' || (data.v !== 0n && data.v !== 1n)) return malformed('HDEL reply is not 0 or 1');
      return { type: 'ok', value: null };
    case 'incr': {
      if (data?.t !== 'int') return malformed('HINCRBY reply without the new value');
      const text = data.v.toString();
      return isCanonicalDecimalInt64(text) ? { type: 'ok', value: text } : malformed(`new value ${text} is outside the int64 range`);
    }
    case 'cas':
      return malformed('no data command is recorded as cas');
  }
}
