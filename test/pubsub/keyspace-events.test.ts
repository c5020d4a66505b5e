// The pure keyspace-notification mapper: Redis's flag letters (parse and
// show), which events each command fires from its shard replies, and the
// two channels each event is published on.
import { describe, expect, it } from 'vitest';
import type { DataValue } from '../../core/protocol/data-value.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import {
  expiredKeyEvents, formatKeyspaceEventFlags, keyspaceEvents, keyspaceMessages, NOTIFY_ALL, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, parseKeyspaceEventFlags,
} from '../../core/resp/keyspace-events.js';

const b = (s: string): Uint8Array => Buffer.from(s);
const KEA = parseKeyspaceEventFlags('KEA')!;
const NOW_MS = 1_700_000_000_000;
const OK: Reply = { ok: true };
const FOUND: Reply = { ok: true, found: true };
const MISSING: Reply = { ok: true, found: false };
const REFUSED: Reply = { ok: false, code: 'KEY_EXISTS', message: 'exists' } as Reply;

/** `event key` pairs a command fires under `flags`. */
function events(flags: number, line: string, replies: Reply[]): string[] {
  const args = line.split(' ').map(b);
  const name = line.split(' ')[0]!.toLowerCase();
  // MSETNX ends at its checks (exists) unless it got to its set.
  const requests: Request[] = name === 'mset' || (name === 'msetnx' && replies.length === 1 && 'version' in replies[0]!) ? [{ op: 'mset', entries: [] }] : [];
  return keyspaceEvents(flags, name, args, { requests, replies }, NOW_MS).map((e) => `${e.event} ${Buffer.from(e.key).toString()}`);
}

describe('notify-keyspace-events flags', () => {
  it("parses Redis's letters and shows them in Redis's order", () => {
    expect(parseKeyspaceEventFlags('')).toBe(0);
    expect(formatKeyspaceEventFlags(KEA)).toBe('AKE');
    expect(formatKeyspaceEventFlags(parseKeyspaceEventFlags('Eg$x')!)).toBe('g$xE');
    expect(formatKeyspaceEventFlags(parseKeyspaceEventFlags('g$lshzxetdK')!)).toBe('AK');
    expect(formatKeyspaceEventFlags(parseKeyspaceEventFlags('Kmn')!)).toBe('nKm');
    expect(parseKeyspaceEventFlags('KEQ')).toBeNull();
    expect(parseKeyspaceEventFlags('KEA')! & NOTIFY_ALL).toBe(NOTIFY_ALL);
  });
});

/** The EXPIRE family's replies (a data command's int: 1 set or deleted, 0 not). */
const SET_ONE: Reply = { ok: true, data: { t: 'int', v: 1n } };
const SET_NONE: Reply = { ok: true, data: { t: 'int', v: 0n } };

describe('events per command', () => {
  it('strings: set (and expire for SET EX / SETEX), incrby, incrbyfloat, append, setrange, mset', () => {
    expect(events(KEA, 'SET k v', [OK])).toEqual(['set k']);
    expect(events(KEA, 'SET k v EX 10', [OK])).toEqual(['set k', 'expire k']);
    expect(events(KEA, 'SET k v NX', [REFUSED])).toEqual([]);
    expect(events(KEA, 'SETEX k 10 v', [OK])).toEqual(['set k', 'expire k']);
    expect(events(KEA, 'INCR n', [OK])).toEqual(['incrby n']);
    expect(events(KEA, 'DECRBY n 3', [OK])).toEqual(['incrby n']);
    expect(events(KEA, 'INCRBYFLOAT n 1.5', [OK])).toEqual(['incrbyfloat n']);
    expect(events(KEA, 'APPEND k x', [OK])).toEqual(['append k']);
    expect(events(KEA, 'SETRANGE k 0 x', [OK])).toEqual(['setrange k']);
    expect(events(KEA, 'MSET a 1 b 2', [OK])).toEqual(['set a', 'set b']);
    expect(events(KEA, 'MSETNX a 1 b 2', [{ ok: true, found: false, version: 0 }])).toEqual([]);
    expect(events(KEA, 'MSETNX a 1 b 2', [{ ok: true, found: true, version: 7 }])).toEqual(['set a', 'set b']);
    // Stopped at its checks (a key existed): no set ran.
    expect(events(KEA, 'MSETNX a 1', [FOUND])).toEqual([]);
  });

  it('generic: del only for keys that existed, expire or del for a past time, persist, rename', () => {
    expect(events(KEA, 'DEL a b c', [FOUND, MISSING, FOUND])).toEqual(['del a', 'del c']);
    expect(events(KEA, 'EXPIRE k 10', [SET_ONE])).toEqual(['expire k']);
    expect(events(KEA, 'EXPIRE k 10', [SET_NONE])).toEqual([]);
    expect(events(KEA, 'EXPIRE k -1', [SET_ONE])).toEqual(['del k']);
    expect(events(KEA, `PEXPIREAT k ${NOW_MS - 1}`, [SET_ONE])).toEqual(['del k']);
    expect(events(KEA, `EXPIREAT k ${NOW_MS / 1000 + 60}`, [SET_ONE])).toEqual(['expire k']);
    expect(events(KEA, 'PERSIST k', [FOUND])).toEqual(['persist k']);
    expect(events(KEA, 'GETDEL k', [{ ok: true, previousFound: true }])).toEqual(['del k']);
    expect(events(KEA, 'GETEX k PX 100', [FOUND])).toEqual(['expire k']);
    expect(events(KEA, 'RENAME a b', [OK])).toEqual(['rename_from a', 'rename_to b']);
  });

  it('reads fire nothing; only the classes asked for fire', () => {
    expect(events(KEA, 'GET k', [FOUND])).toEqual([]);
    expect(events(parseKeyspaceEventFlags('K$')!, 'SET k v EX 1', [OK])).toEqual(['set k']);
    expect(events(parseKeyspaceEventFlags('Kg')!, 'SET k v EX 1', [OK])).toEqual(['expire k']);
    // A class without K or E publishes nothing.
    expect(events(parseKeyspaceEventFlags('A')!, 'SET k v', [OK])).toEqual([]);
  });
});

/** A data command's replies (core/protocol/data-value.ts): `version` set when it changed something. */
const int = (v: number, changed = true): Reply => ({ ok: true, data: { t: 'int', v: BigInt(v) }, ...(changed ? { version: 9 } : {}) });
const bulk = (s: string): Reply => ({ ok: true, data: { t: 'bytes', v: b(s) }, version: 9 });
const list = (...items: string[]): DataValue => ({ t: 'array', v: items.map((s) => ({ t: 'bytes', v: b(s) })) });
const arr = (...items: DataValue[]): Reply => ({ ok: true, data: { t: 'array', v: items }, version: 9 });
const key = (s: string): DataValue => ({ t: 'bytes', v: b(s) });
const NIL_REPLY: Reply = { ok: true, data: { t: 'nil' } };
const CHANGED_OK: Reply = { ok: true, data: { t: 'status', v: 'OK' }, version: 9 };
const UNCHANGED_OK: Reply = { ok: true, data: { t: 'status', v: 'OK' } };
const WRONGTYPE: Reply = { ok: false, code: 'WRONG_TYPE', message: 'WRONGTYPE' } as Reply;

describe('data commands (Redis 7 event names)', () => {
  it('hashes: hset, hdel, hincrby, hincrbyfloat; nothing when nothing changed', () => {
    expect(events(KEA, 'HSET h f v', [int(1)])).toEqual(['hset h']);
    expect(events(KEA, 'HSET h f v', [int(0)])).toEqual(['hset h']);
    expect(events(KEA, 'HMSET h f v', [CHANGED_OK])).toEqual(['hset h']);
    expect(events(KEA, 'HSETNX h f v', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'HSETNX h f v', [int(1)])).toEqual(['hset h']);
    expect(events(KEA, 'HDEL h f g', [int(2)])).toEqual(['hdel h']);
    expect(events(KEA, 'HDEL h f', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'HINCRBY h f 1', [int(3)])).toEqual(['hincrby h']);
    expect(events(KEA, 'HINCRBYFLOAT h f 1.5', [bulk('1.5')])).toEqual(['hincrbyfloat h']);
    expect(events(KEA, 'HSET h f v', [WRONGTYPE])).toEqual([]);
    expect(events(parseKeyspaceEventFlags('Kg')!, 'HSET h f v', [int(1)])).toEqual([]);
  });

  it('lists: push, insert, set, rem, trim, pops (del when a COUNT pop got fewer), moves', () => {
    expect(events(KEA, 'LPUSH l a b', [int(2)])).toEqual(['lpush l']);
    expect(events(KEA, 'RPUSHX l a', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'RPUSHX l a', [int(3)])).toEqual(['rpush l']);
    expect(events(KEA, 'LINSERT l BEFORE p x', [int(-1, false)])).toEqual([]);
    expect(events(KEA, 'LINSERT l BEFORE p x', [int(4)])).toEqual(['linsert l']);
    expect(events(KEA, 'LSET l 0 x', [CHANGED_OK])).toEqual(['lset l']);
    expect(events(KEA, 'LREM l 0 x', [int(2)])).toEqual(['lrem l']);
    expect(events(KEA, 'LTRIM l 0 -1', [UNCHANGED_OK])).toEqual([]);
    expect(events(KEA, 'LTRIM l 0 1', [CHANGED_OK])).toEqual(['ltrim l']);
    expect(events(KEA, 'LPOP l', [bulk('a')])).toEqual(['lpop l']);
    expect(events(KEA, 'LPOP l', [NIL_REPLY])).toEqual([]);
    expect(events(KEA, 'RPOP l 3', [{ ok: true, data: list('c', 'b', 'a'), version: 9 }])).toEqual(['rpop l']);
    expect(events(KEA, 'RPOP l 5', [{ ok: true, data: list('c', 'b'), version: 9 }])).toEqual(['rpop l', 'del l']);
    expect(events(KEA, 'BLPOP x l 0', [arr(key('l'), key('a'))])).toEqual(['lpop l']);
    expect(events(KEA, 'BRPOP x l 0', [{ ok: true, data: { t: 'nilArray' } }])).toEqual([]);
    expect(events(KEA, 'LMPOP 2 x l RIGHT COUNT 3', [arr(key('l'), list('a'))])).toEqual(['rpop l', 'del l']);
    expect(events(KEA, 'BLMPOP 0 1 l LEFT', [arr(key('l'), list('a'))])).toEqual(['lpop l']);
    expect(events(KEA, 'LMOVE s d LEFT RIGHT', [bulk('a')])).toEqual(['rpush d', 'lpop s']);
    expect(events(KEA, 'BLMOVE s d RIGHT LEFT 0', [bulk('a')])).toEqual(['lpush d', 'rpop s']);
    expect(events(KEA, 'RPOPLPUSH s d', [bulk('a')])).toEqual(['lpush d', 'rpop s']);
    expect(events(KEA, 'RPOPLPUSH s d', [NIL_REPLY])).toEqual([]);
  });

  it('sets: sadd, srem, spop, smove, the STORE commands (empty result: nothing)', () => {
    expect(events(KEA, 'SADD s a', [int(1)])).toEqual(['sadd s']);
    expect(events(KEA, 'SADD s a', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'SREM s a', [int(1)])).toEqual(['srem s']);
    expect(events(KEA, 'SPOP s', [bulk('a')])).toEqual(['spop s']);
    expect(events(KEA, 'SPOP s 4', [{ ok: true, data: { t: 'set', v: [key('a')] }, version: 9 }])).toEqual(['spop s', 'del s']);
    expect(events(KEA, 'SMOVE a b m', [int(1)])).toEqual(['srem a', 'sadd b']);
    expect(events(KEA, 'SMOVE a a m', [int(1)])).toEqual([]);
    expect(events(KEA, 'SMOVE a b m', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'SINTERSTORE d a b', [int(2)])).toEqual(['sinterstore d']);
    expect(events(KEA, 'SUNIONSTORE d a b', [int(0)])).toEqual([]);
    expect(events(KEA, 'SDIFFSTORE d a b', [int(1)])).toEqual(['sdiffstore d']);
  });

  it('sorted sets: zadd / zincr, zrem and zremrangeby*, pops, the STORE commands', () => {
    expect(events(KEA, 'ZADD z 1 a', [int(1)])).toEqual(['zadd z']);
    expect(events(KEA, 'ZADD z NX 1 a', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'ZADD z INCR 1 a', [bulk('2')])).toEqual(['zincr z']);
    expect(events(KEA, 'ZINCRBY z 1 a', [bulk('2')])).toEqual(['zincr z']);
    expect(events(KEA, 'ZREM z a', [int(1)])).toEqual(['zrem z']);
    expect(events(KEA, 'ZREMRANGEBYSCORE z 0 1', [int(2)])).toEqual(['zremrangebyscore z']);
    expect(events(KEA, 'ZREMRANGEBYRANK z 0 1', [int(0, false)])).toEqual([]);
    expect(events(KEA, 'ZPOPMIN z', [arr(key('a'), key('1'))])).toEqual(['zpopmin z']);
    expect(events(KEA, 'BZPOPMAX x z 0', [arr(key('z'), key('a'), { t: 'double', v: 1 })])).toEqual(['zpopmax z']);
    expect(events(KEA, 'ZMPOP 1 z MIN', [arr(key('z'), { t: 'array', v: [list('a', '1')] })])).toEqual(['zpopmin z']);
    expect(events(KEA, 'BZMPOP 0 1 z MAX COUNT 2', [arr(key('z'), { t: 'array', v: [list('a', '1')] })])).toEqual(['zpopmax z', 'del z']);
    expect(events(KEA, 'ZUNIONSTORE d 2 a b', [int(3)])).toEqual(['zunionstore d']);
    expect(events(KEA, 'ZRANGESTORE d z 0 -1', [int(0)])).toEqual([]);
  });

  it('bits, RESTORE, RENAMENX and COPY (door commands: found = answered 1)', () => {
    expect(events(KEA, 'SETBIT k 7 1', [int(0)])).toEqual(['setbit k']);
    expect(events(KEA, 'BITFIELD k GET u8 0', [{ ok: true, data: list() }])).toEqual([]);
    expect(events(KEA, 'BITFIELD k SET u8 0 1', [arr({ t: 'int', v: 0n })])).toEqual(['setbit k']);
    expect(events(KEA, 'BITOP OR d a b', [int(3)])).toEqual(['set d']);
    expect(events(KEA, 'BITOP OR d a b', [int(0)])).toEqual([]);
    expect(events(KEA, 'RESTORE k 0 payload', [CHANGED_OK])).toEqual(['restore k']);
    expect(events(KEA, `RESTORE k ${NOW_MS - 1} payload REPLACE ABSTTL`, [CHANGED_OK])).toEqual([]);
    expect(events(KEA, 'RESTORE k 0 payload', [{ ok: false, code: 'KEY_EXISTS', message: 'BUSYKEY' } as Reply])).toEqual([]);
    expect(events(KEA, 'RENAMENX a b', [FOUND])).toEqual(['rename_from a', 'rename_to b']);
    expect(events(KEA, 'RENAMENX a b', [{ ok: true, found: false }])).toEqual([]);
    expect(events(KEA, 'COPY a b', [FOUND])).toEqual(['copy_to b']);
    expect(events(KEA, 'COPY a b', [{ ok: true, found: false }])).toEqual([]);
  });
});

describe('expired', () => {
  it('one expired event per removed key, only with x on', () => {
    expect(expiredKeyEvents(KEA, [b('a'), b('b')]).map((e) => e.event)).toEqual(['expired', 'expired']);
    expect(expiredKeyEvents(parseKeyspaceEventFlags('KEg$')!, [b('a')])).toEqual([]);
  });
});

describe('messages', () => {
  it('keyspace then keyevent, on database 0', () => {
    const msgs = keyspaceMessages(KEA, [{ type: NOTIFY_ALL & ~0, event: 'set', key: b('k') }]).map((m) => [Buffer.from(m.channel).toString(), Buffer.from(m.message).toString()]);
    expect(msgs).toEqual([['__keyspace@0__:k', 'set'], ['__keyevent@0__:set', 'k']]);
    const onlyE = keyspaceMessages(NOTIFY_ALL | NOTIFY_KEYEVENT, [{ type: NOTIFY_ALL, event: 'del', key: b('k') }]);
    expect(onlyE.map((m) => Buffer.from(m.channel).toString())).toEqual(['__keyevent@0__:del']);
    expect(keyspaceMessages(NOTIFY_KEYSPACE, [{ type: NOTIFY_ALL, event: 'del', key: b('k') }])).toEqual([]);
  });
});
