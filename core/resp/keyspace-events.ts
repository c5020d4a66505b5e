// Redis keyspace notifications, the pure part: the `notify-keyspace-events`
// flags (Redis's letters, parsed and shown as Redis shows them), which
// events a command that ran produced (from its arguments and its shard
// replies), and the two pub/sub messages each event becomes:
// `__keyspace@0__:<key>` -> `<event>` (flag K) and `__keyevent@0__:<event>`
// -> `<key>` (flag E). The runtime (runtime-node/pubsub/keyspace-notifier.ts)
// publishes them.
//
// Event names and classes are Redis 7's for the commands Piccolo has:
// generic (g): del, expire, persist, rename_from, rename_to, copy_to,
// restore; string ($): set, setrange, incrby, incrbyfloat, append, setbit;
// and the data commands' (core/types/): hash (h), list (l), set (s),
// sorted set (z) events, from the reply's version (set when the command
// changed something). Like Redis, an event fires
// only for a change: DEL of a missing key, SET NX on a present key and
// EXPIRE of a missing key fire nothing; an EXPIRE whose time is already
// past deletes the key and fires `del`. Differences, by design or for lack
// of information at the door: `new` (n) and `keymiss` (m) never fire (the
// shard's reply does not say whether a write created the key or a read
// missed one); GETEX PERSIST fires `persist` whenever the key exists
// (Redis: only when it had a TTL); a command that empties a collection
// fires `del` only when its reply proves it (a pop with COUNT that got
// fewer); `expired` (x) comes from the workers' change feed
// (expiredKeyEvents, runtime-node/pubsub/keyspace-notifier.ts); commands
// not named below fire nothing.

import { bytesEqual } from '../bytes.js';
import type { DataValue } from '../protocol/data-value.js';
import type { OkReply, Reply, Request } from '../protocol/ops.js';
import { expiryUnitOf, isOption } from './command-args.js';
import { parseInt64Number } from './resp-numbers.js';
import { parseSortArgs } from '../types/keyspace/sort-args.js';

/** Redis's notification classes, as bits. */
export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m
export const NOTIFY_MODULE = 1 << 12; // d
export const NOTIFY_NEW = 1 << 13; // n
/** `A`: every class but key-miss and new (Redis's alias for "g$lshzxetd"). */
export const NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET
  | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const FLAG_OF_LETTER: Readonly<Record<string, number>> = {
  A: NOTIFY_ALL, g: NOTIFY_GENERIC, $: NOTIFY_STRING, l: NOTIFY_LIST, s: NOTIFY_SET, h: NOTIFY_HASH, z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED, e: NOTIFY_EVICTED, K: NOTIFY_KEYSPACE, E: NOTIFY_KEYEVENT, t: NOTIFY_STREAM, m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE, n: NOTIFY_NEW,
};

/** The classes in the order Redis prints them when not all of A is set. */
const CLASS_LETTERS: readonly (readonly [number, string])[] = [
  [NOTIFY_GENERIC, 'g'], [NOTIFY_STRING, '$'], [NOTIFY_LIST, 'l'], [NOTIFY_SET, 's'], [NOTIFY_HASH, 'h'],
  [NOTIFY_ZSET, 'z'], [NOTIFY_EXPIRED, 'x'], [NOTIFY_EVICTED, 'e'], [NOTIFY_STREAM, 't'], [NOTIFY_MODULE, 'd'],
  [NOTIFY_NEW, 'n'],
];

/** Redis's reason for a refused `notify-keyspace-events` value (inside its CONFIG SET error). */
export const KEYSPACE_EVENTS_INVALID = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** The flags of a `notify-keyspace-events` value, or null when a letter is not one of Redis's. */
export function parseKeyspaceEventFlags(text: string): number | null {
  let flags = 0;
  for (const letter of text) {
    const flag = Object.hasOwn(FLAG_OF_LETTER, letter) ? FLAG_OF_LETTER[letter]! : undefined;
    if (flag === undefined) return null;
    flags |= flag;
  }
  return flags;
}

/** The value CONFIG GET shows: `A` for all classes, else their letters; then K, E, m (Redis's order). */
export function formatKeyspaceEventFlags(flags: number): string {
  let text = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) text += 'A';
  else for (const [flag, letter] of CLASS_LETTERS) if (flags & flag) text += letter;
  if (flags & NOTIFY_KEYSPACE) text += 'K';
  if (flags & NOTIFY_KEYEVENT) text += 'E';
  if (flags & NOTIFY_KEY_MISS) text += 'm';
  return text;
}

/** Whether any event can be published: a class and at least one of K and E. */
export function keyspaceEventsEnabled(flags: number): boolean {
  return (flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) !== 0 && (flags & ~(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) !== 0;
}

export interface KeyspaceEvent {
  /** The event's class (one NOTIFY_* bit). */
  type: number;
  event: string;
  key: Uint8Array;
}

/** One pub/sub message to publish. */
export interface KeyspaceMessage {
  channel: Uint8Array;
  message: Uint8Array;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
/** Piccolo has database 0 only. */
const KEYSPACE_PREFIX = ascii('__keyspace@0__:');
const KEYEVENT_PREFIX = ascii('__keyevent@0__:');

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The messages of the events whose class is on: keyspace first, then keyevent, event by event (Redis's order). */
export function keyspaceMessages(flags: number, events: readonly KeyspaceEvent[]): KeyspaceMessage[] {
  const out: KeyspaceMessage[] = [];
  for (const { type, event, key } of events) {
    if ((flags & type) === 0) continue;
    const name = ascii(event);
    if (flags & NOTIFY_KEYSPACE) out.push({ channel: concat(KEYSPACE_PREFIX, key), message: name });
    if (flags & NOTIFY_KEYEVENT) out.push({ channel: concat(KEYEVENT_PREFIX, name), message: key });
  }
  return out;
}

/** The last step a command ran: its requests and their replies (MSETNX ends at its checks when a key exists). */
export interface CommandStep {
  requests: readonly Request[];
  replies: readonly Reply[];
}

/** A command's events from its last step; `args` are the command name and its arguments. */
type EventsOf = (args: readonly Uint8Array[], step: CommandStep, nowMs: number) => KeyspaceEvent[];

const ok = (replies: readonly Reply[]): boolean => replies.length > 0 && replies.every((r) => r.ok);
/** The first reply when the command succeeded, else null. */
const firstOk = (replies: readonly Reply[]): OkReply | null => (ok(replies) ? replies[0] as OkReply : null);
const generic = (event: string, key: Uint8Array): KeyspaceEvent => ({ type: NOTIFY_GENERIC, event, key });
const string = (event: string, key: Uint8Array): KeyspaceEvent => ({ type: NOTIFY_STRING, event, key });

/** One string event on the key when the command succeeded. */
function stringEvent(event: string): EventsOf {
  return (args, { replies }) => (ok(replies) ? [string(event, args[1]!)] : []);
}

/** `del` for each key that existed (DEL / UNLINK run one request per key). */
const deletedKeys: EventsOf = (args, { replies }) => {
  const out: KeyspaceEvent[] = [];
  replies.forEach((r, i) => { if (r.ok && r.found) out.push(generic('del', args[i + 1]!)); });
  return out;
};

/** EXPIRE and friends: `expire`, or `del` when the time is already past (the key is gone). */
function expireEvent(unitMs: number, absolute: boolean): EventsOf {
  return (args, { replies }, nowMs) => {
    const r = replies[0];
    // EXPIRE runs as a data command (core/types/keyspace/expire-commands.ts): 1 when it set or deleted.
    if (r === undefined || !r.ok || !(r.data?.t === 'int' && r.data.v === 1n)) return [];
    const amount = parseInt64Number(args[2]!) ?? 0;
    const past = absolute ? amount * unitMs <= nowMs : amount <= 0;
    return [generic(past ? 'del' : 'expire', args[1]!)];
  };
}

/** SET: `set`, and `expire` too when an expiry option was given (SET EX, as SETEX). */
const setEvents: EventsOf = (args, { replies }) => {
  if (!ok(replies)) return [];
  const hasExpiry = args.slice(3).some((arg) => expiryUnitOf(arg) !== null);
  return hasExpiry ? [string('set', args[1]!), generic('expire', args[1]!)] : [string('set', args[1]!)];
};

/** SETEX / PSETEX. */
const setWithExpiryEvents: EventsOf = (args, { replies }) => (ok(replies) ? [string('set', args[1]!), generic('expire', args[1]!)] : []);

/** GETEX: `expire` for a time (or `del` when past), `persist` for PERSIST, nothing without options. */
const getExEvents: EventsOf = (args, { replies }, nowMs) => {
  const r = replies[0];
  if (r === undefined || !r.ok || !r.found || args.length < 3) return [];
  const option = args[2]!;
  if (isOption(option, 'PERSIST')) return [generic('persist', args[1]!)];
  const unit = expiryUnitOf(option);
  if (unit === null || args.length < 4) return [];
  const amount = parseInt64Number(args[3]!) ?? 0;
  const past = unit === 'EXAT' ? amount * 1000 <= nowMs : unit === 'PXAT' ? amount <= nowMs : amount <= 0;
  return [generic(past ? 'del' : 'expire', args[1]!)];
};

/** `set` for each key of MSET / MSETNX (when MSETNX got to its set, and the set was not refused). */
const msetEvents: EventsOf = (args, { requests, replies }) => {
  const r = firstOk(replies);
  if (r === null || requests[0]?.op !== 'mset' || r.found === false) return [];
  const out: KeyspaceEvent[] = [];
  for (let j = 1; j + 1 < args.length; j += 2) out.push(string('set', args[j]!));
  return out;
};

/** RENAME and RENAMENX: `rename_from` on the source, then `rename_to` on the destination. */
const renameEvents: EventsOf = (args, { replies }) => (ok(replies) ? [generic('rename_from', args[1]!), generic('rename_to', args[2]!)] : []);

// ---- data commands (core/types/): the `call` op ------------------------------
//
// A data command's reply carries a version exactly when it changed something
// (core/types/data-command.ts), which is when Redis notifies. Whether a
// command emptied its key (Redis then adds `del`) is not in the reply, so
// `del` fires only where the reply proves it: a pop with a COUNT that got
// fewer elements than asked. An LPOP, HDEL, SREM ... that took the last
// element fires its own event without `del` (docs/pubsub.md).

/** The reply of a data command that changed its key(s), else null. */
function changedReply(replies: readonly Reply[]): OkReply | null {
  const r = firstOk(replies);
  return r !== null && r.version !== undefined && r.version > 0 ? r : null;
}

/** One event of class `type` on the command's first key when it changed something. */
function changedEvent(type: number, event: string): EventsOf {
  return (args, { replies }) => (changedReply(replies) !== null ? [{ type, event, key: args[1]! }] : []);
}

/** The elements of a reply's array (a bare element counts as one), or null when it is not one. */
function arrayItems(data: DataValue | undefined): readonly DataValue[] | null {
  if (data === undefined) return null;
  if (data.t === 'array' || data.t === 'set') return data.v;
  return data.t === 'bytes' ? [data] : null;
}

/** The number after COUNT among `args` from `from` on, or null when there is none. */
function countOption(args: readonly Uint8Array[], from: number): number | null {
  for (let i = from; i + 1 < args.length; i++) if (isOption(args[i]!, 'COUNT')) return parseInt64Number(args[i + 1]!);
  return null;
}

/** `event` on `key`, then `del` when fewer than `asked` came out (the key is gone), as Redis does on the pop that empties. */
function popEvents(type: number, event: string, key: Uint8Array, popped: number, asked: number | null): KeyspaceEvent[] {
  const events: KeyspaceEvent[] = [{ type, event, key }];
  if (asked !== null && popped < asked) events.push(generic('del', key));
  return events;
}

/** LPOP / RPOP / SPOP key [count]: the event, and `del` when a count emptied it. */
function popCommandEvents(type: number, event: string): EventsOf {
  return (args, { replies }) => {
    const r = changedReply(replies);
    if (r === null) return [];
    const asked = args.length > 2 ? parseInt64Number(args[2]!) : null;
    return popEvents(type, event, args[1]!, arrayItems(r.data)?.length ?? 1, asked);
  };
}

/** BLPOP / BRPOP / BZPOPMIN / BZPOPMAX: the reply names the key popped from ([key, ...]). */
function blockingPopEvents(type: number, event: string): EventsOf {
  return (_args, { replies }) => {
    const key = arrayItems(changedReply(replies)?.data)?.[0];
    return key?.t === 'bytes' ? [{ type, event, key: key.v }] : [];
  };
}

/** LMPOP / BLMPOP / ZMPOP / BZMPOP: [key, [elements]]; the side (LEFT|RIGHT, MIN|MAX) follows the keys. */
function mpopEvents(type: number, eventOfSide: (side: Uint8Array) => string, blocking: boolean): EventsOf {
  return (args, { replies }) => {
    const items = arrayItems(changedReply(replies)?.data);
    const key = items?.[0];
    if (items === null || key?.t !== 'bytes') return [];
    const numkeysAt = blocking ? 2 : 1;
    const sideAt = numkeysAt + 1 + (parseInt64Number(args[numkeysAt]!) ?? 0);
    const side = args[sideAt];
    if (side === undefined) return [];
    const popped = arrayItems(items[1])?.length ?? 0;
    return popEvents(type, eventOfSide(side), key.v, popped, countOption(args, sideAt + 1) ?? 1);
  };
}

const listSide = (side: Uint8Array): string => (isOption(side, 'LEFT') ? 'lpop' : 'rpop');
const zsetSide = (side: Uint8Array): string => (isOption(side, 'MIN') ? 'zpopmin' : 'zpopmax');
const list = (event: string, key: Uint8Array): KeyspaceEvent => ({ type: NOTIFY_LIST, event, key });

/** LMOVE / BLMOVE (sides given) and RPOPLPUSH / BRPOPLPUSH: the push on the destination, then the pop on the source (Redis's order). */
function moveEvents(sidesGiven: boolean): EventsOf {
  return (args, { replies }) => {
    if (changedReply(replies) === null) return [];
    const fromLeft = sidesGiven && isOption(args[3]!, 'LEFT');
    const toLeft = !sidesGiven || isOption(args[4]!, 'LEFT');
    return [list(toLeft ? 'lpush' : 'rpush', args[2]!), list(fromLeft ? 'lpop' : 'rpop', args[1]!)];
  };
}

/** SINTERSTORE ... ZRANGESTORE: the event on the destination when the result has members (empty: a `del` Redis fires only if it existed). */
function storeEvents(type: number, event: string): EventsOf {
  return (args, { replies }) => {
    const r = firstOk(replies);
    return r?.data?.t === 'int' && r.data.v > 0n ? [{ type, event, key: args[1]! }] : [];
  };
}

/** SORT ... STORE: `sortstore` (a list event) on the destination when the result has elements, `del` when an empty one deleted it. */
const sortEvents: EventsOf = (args, { replies }) => {
  const r = changedReply(replies);
  const sort = parseSortArgs(args.slice(1), false);
  if (r === null || typeof sort === 'string' || sort.store === null) return [];
  const stored = r.data?.t === 'int' && r.data.v > 0n;
  return [stored ? { type: NOTIFY_LIST, event: 'sortstore', key: sort.store } : generic('del', sort.store)];
};

/** SMOVE source destination member: `srem` on the source, `sadd` on the destination (nothing when they are one key). */
const smoveEvents: EventsOf = (args, { replies }) => {
  if (changedReply(replies) === null || bytesEqual(args[1]!, args[2]!)) return [];
  return [{ type: NOTIFY_SET, event: 'srem', key: args[1]! }, { type: NOTIFY_SET, event: 'sadd', key: args[2]! }];
};

/** ZADD: `zincr` with INCR, else `zadd`, when a member was added or its score changed. */
const zaddEvents: EventsOf = (args, { replies }) => {
  if (changedReply(replies) === null) return [];
  const incr = args.slice(2).some((arg) => isOption(arg, 'INCR'));
  return [{ type: NOTIFY_ZSET, event: incr ? 'zincr' : 'zadd', key: args[1]! }];
};

/** RESTORE: `restore`, unless ABSTTL put it in the past (then Redis fires `del` only if REPLACE removed a key: unknowable here). */
const restoreEvents: EventsOf = (args, { replies }, nowMs) => {
  if (changedReply(replies) === null) return [];
  const ttl = parseInt64Number(args[2]!) ?? 0;
  const absolute = args.slice(4).some((arg) => isOption(arg, 'ABSTTL'));
  return absolute && ttl > 0 && ttl <= nowMs ? [] : [generic('restore', args[1]!)];
};

/** BITOP: `set` on the destination when the result has bytes (empty: a `del` Redis fires only if it existed). */
const bitopEvents: EventsOf = (args, { replies }) => {
  const r = firstOk(replies);
  return r?.data?.t === 'int' && r.data.v > 0n ? [string('set', args[2]!)] : [];
};

const DATA_COMMAND_EVENTS: readonly (readonly [string, EventsOf])[] = [
  // hashes (Redis's t_hash.c)
  ...['hset', 'hmset', 'hsetnx'].map((name) => [name, changedEvent(NOTIFY_HASH, 'hset')] as const),
  ...['hdel', 'hincrby', 'hincrbyfloat'].map((name) => [name, changedEvent(NOTIFY_HASH, name)] as const),
  // lists (t_list.c)
  ...['lpush', 'rpush', 'lpushx', 'rpushx'].map((name) => [name, changedEvent(NOTIFY_LIST, name.slice(0, 5))] as const),
  ...['linsert', 'lset', 'lrem', 'ltrim'].map((name) => [name, changedEvent(NOTIFY_LIST, name)] as const),
  ['lpop', popCommandEvents(NOTIFY_LIST, 'lpop')],
  ['rpop', popCommandEvents(NOTIFY_LIST, 'rpop')],
  ['blpop', blockingPopEvents(NOTIFY_LIST, 'lpop')],
  ['brpop', blockingPopEvents(NOTIFY_LIST, 'rpop')],
  ['lmpop', mpopEvents(NOTIFY_LIST, listSide, false)],
  ['blmpop', mpopEvents(NOTIFY_LIST, listSide, true)],
  ['lmove', moveEvents(true)],
  ['blmove', moveEvents(true)],
  ['rpoplpush', moveEvents(false)],
  ['brpoplpush', moveEvents(false)],
  // sets (t_set.c)
  ...['sadd', 'srem'].map((name) => [name, changedEvent(NOTIFY_SET, name)] as const),
  ['spop', popCommandEvents(NOTIFY_SET, 'spop')],
  ['smove', smoveEvents],
  ...['sinterstore', 'sunionstore', 'sdiffstore'].map((name) => [name, storeEvents(NOTIFY_SET, name)] as const),
  // sorted sets (t_zset.c)
  ['zadd', zaddEvents],
  ['zincrby', changedEvent(NOTIFY_ZSET, 'zincr')],
  ...['zrem', 'zremrangebyscore', 'zremrangebyrank', 'zremrangebylex', 'zpopmin', 'zpopmax']
    .map((name) => [name, changedEvent(NOTIFY_ZSET, name)] as const),
  ['bzpopmin', blockingPopEvents(NOTIFY_ZSET, 'zpopmin')],
  ['bzpopmax', blockingPopEvents(NOTIFY_ZSET, 'zpopmax')],
  ['zmpop', mpopEvents(NOTIFY_ZSET, zsetSide, false)],
  ['bzmpop', mpopEvents(NOTIFY_ZSET, zsetSide, true)],
  ...['zunionstore', 'zinterstore', 'zdiffstore', 'zrangestore'].map((name) => [name, storeEvents(NOTIFY_ZSET, name)] as const),
  // bits (bitops.c): SETBIT and a BITFIELD that wrote fire `setbit`; BITOP fires `set`
  ['setbit', changedEvent(NOTIFY_STRING, 'setbit')],
  ['bitfield', changedEvent(NOTIFY_STRING, 'setbit')],
  ['bitop', bitopEvents],
  // keyspace (cluster.c, sort.c)
  ['restore', restoreEvents],
  ['sort', sortEvents],
];

const EVENTS_OF_COMMAND: ReadonlyMap<string, EventsOf> = new Map<string, EventsOf>([
  ['set', setEvents],
  ['setnx', stringEvent('set')],
  ['getset', stringEvent('set')],
  ['cas', stringEvent('set')],
  ['setex', setWithExpiryEvents],
  ['psetex', setWithExpiryEvents],
  ['mset', msetEvents],
  ['msetnx', msetEvents],
  ['incr', stringEvent('incrby')],
  ['decr', stringEvent('incrby')],
  ['incrby', stringEvent('incrby')],
  ['decrby', stringEvent('incrby')],
  ['incrbyfloat', stringEvent('incrbyfloat')],
  ['append', stringEvent('append')],
  // SETRANGE with an empty value changes nothing (Piccolo reads the length instead).
  ['setrange', (args, { replies }) => (ok(replies) && args[3]!.length > 0 ? [string('setrange', args[1]!)] : [])],
  ['del', deletedKeys],
  ['unlink', deletedKeys],
  ['getdel', (args, { replies }) => (firstOk(replies)?.previousFound ? [generic('del', args[1]!)] : [])],
  ['getex', getExEvents],
  ['expire', expireEvent(1000, false)],
  ['pexpire', expireEvent(1, false)],
  ['expireat', expireEvent(1000, true)],
  ['pexpireat', expireEvent(1, true)],
  ['persist', (args, { replies }) => (firstOk(replies)?.found ? [generic('persist', args[1]!)] : [])],
  // RENAME runs at the door; it passes one ok reply when the rename happened.
  ['rename', renameEvents],
  // RENAMENX and COPY run at the door too; their ok reply is found when the key moved or was copied (reply 1).
  ['renamenx', (args, step) => (firstOk(step.replies)?.found === true ? renameEvents(args, step, 0) : [])],
  ['copy', (args, { replies }) => (firstOk(replies)?.found === true ? [generic('copy_to', args[2]!)] : [])],
  ...DATA_COMMAND_EVENTS,
]);

/** Whether a command can fire events at all (the runtime keeps its arguments only then). */
export function mayFireKeyspaceEvents(name: string): boolean {
  return EVENTS_OF_COMMAND.has(name);
}

/**
 * The events of one command that ran: `name` lower case, `args` the command
 * name and its arguments, `step` its last step's requests and replies,
 * `nowMs` the door's clock (to tell an EXPIREAT in the past). Only classes
 * on in `flags` are returned.
 */
export function keyspaceEvents(flags: number, name: string, args: readonly Uint8Array[], step: CommandStep, nowMs: number): KeyspaceEvent[] {
  if (!keyspaceEventsEnabled(flags)) return [];
  const eventsOf = EVENTS_OF_COMMAND.get(name);
  if (eventsOf === undefined) return [];
  return eventsOf(args, step, nowMs).filter((e) => (flags & e.type) !== 0);
}

/**
 * The events of keys a worker's active expiry removed: `expired` (class x)
 * each. For the runtime to call once workers report which keys their
 * expireKeys entries removed (today they report only how many:
 * docs/pubsub.md, "What is not there").
 */
export function expiredKeyEvents(flags: number, keys: readonly Uint8Array[]): KeyspaceEvent[] {
  if (!keyspaceEventsEnabled(flags) || (flags & NOTIFY_EXPIRED) === 0) return [];
  return keys.map((key) => ({ type: NOTIFY_EXPIRED, event: 'expired', key }));
}
