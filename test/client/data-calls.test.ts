// The client's data commands without a node: the requests they build (and
// that both wire formats carry them), and how they read reply trees, the
// shapes JSON turns them into included.

import { describe, expect, test } from 'vitest';
import type { DataValue } from '../../core/protocol/data-value.js';
import type { OkReply } from '../../core/protocol/ops.js';
import { anyCall, dataCalls } from '../../client/calls.js';
import { bytesOut } from '../../client/data-reply.js';
import { PiccoloError, ProtocolError } from '../../client/errors.js';
import { Transaction } from '../../client/transaction.js';
import { decodeJsonResponse, encodeJsonResponse } from '../../schema/json-codec.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const b = (s: string): DataValue => ({ t: 'bytes', v: utf8(s) });
const text = dataCalls(bytesOut('text') as (bytes: Uint8Array) => string);
const raw = dataCalls((bytes: Uint8Array) => bytes);
const reply = (data: DataValue): OkReply => ({ ok: true, data });
/** The reply as the JSON format delivers it: encoded by the server, decoded by the client. */
const viaJson = (data: DataValue): OkReply => decodeJsonResponse(encodeJsonResponse(1, reply(data))).reply as OkReply;

describe('the requests', () => {
  test('name and Redis arguments; numbers as decimal text; the name lower-cased', () => {
    expect(text.hset('h', [['f', 'v'], ['g', utf8('w')]]).request).toStrictEqual({ op: 'call', name: 'hset', args: ['h', 'f', 'v', 'g', 'w'].map(utf8) });
    expect(text.hset('h', { f: 'v' }).request).toStrictEqual({ op: 'call', name: 'hset', args: ['h', 'f', 'v'].map(utf8) });
    expect(text.lrange('l', 0, -1).request).toStrictEqual({ op: 'call', name: 'lrange', args: ['l', '0', '-1'].map(utf8) });
    expect(text.zadd('z', [[1.5, 'a'], [-Infinity, 'b']]).request).toStrictEqual({ op: 'call', name: 'zadd', args: ['z', '1.5', 'a', '-inf', 'b'].map(utf8) });
    expect(anyCall(bytesOut('bytes'), 'HINCRBY', ['h', 'n', 5n]).request).toStrictEqual({ op: 'call', name: 'hincrby', args: ['h', 'n', '5'].map(utf8) });
  });

  test('arguments a command cannot take are refused before sending, with BAD_REQUEST', () => {
    expect(() => text.hset('h', [])).toThrow(PiccoloError);
    expect(() => text.zadd('z', [[Number.NaN, 'a']])).toThrow(/score must be a number/);
    expect(() => anyCall(bytesOut('bytes'), '', ['k'])).toThrow(/needs its name/);
    expect(() => anyCall(bytesOut('bytes'), 'get', [Infinity])).toThrow(/finite number/);
  });

  test('a transaction carries calls as its ops and reads each reply', () => {
    const tx = new Transaction<string>(bytesOut('text') as (bytes: Uint8Array) => string);
    const added = tx.sadd('{s}a', 'x', 'y');
    const members = tx.smembers('{s}a');
    expect(tx.request().ops.map((op) => op.op === 'call' && op.name)).toEqual(['sadd', 'smembers']);
    tx.settle([reply({ t: 'int', v: 2n }), reply({ t: 'set', v: [b('x'), b('y')] })], () => new PiccoloError('INTERNAL', 'x'));
    expect([added.value, members.value]).toEqual([2, ['x', 'y']]);
  });
});

describe('reading replies, from Cap\'n Proto (exact) and through JSON (lossy)', () => {
  for (const [how, deliver] of [['exact', reply], ['json', viaJson]] as const) {
    test(`${how}: each typed reader`, () => {
      expect(text.hget('h', 'f').read(deliver(b('v')))).toBe('v');
      expect(raw.hget('h', 'f').read(deliver(b('v')))).toStrictEqual(utf8('v'));
      expect(text.hget('h', 'f').read(deliver({ t: 'nil' }))).toBeNull();
      expect(text.hgetall('h').read(deliver({ t: 'map', v: [b('f'), b('1'), b('g'), b('2')] }))).toEqual(new Map([['f', '1'], ['g', '2']]));
      expect(text.hgetall('h').read(deliver({ t: 'map', v: [b('status'), b('x')] }))).toEqual(new Map([['status', 'x']]));
      expect(text.hgetall('h').read(deliver({ t: 'array', v: [b('f'), b('1')] }))).toEqual(new Map([['f', '1']])); // RESP2's flat shape
      expect(text.sismember('s', 'x').read(deliver({ t: 'int', v: 1n }))).toBe(true);
      expect(text.lrange('l', 0, -1).read(deliver({ t: 'array', v: [b('a'), b('b')] }))).toEqual(['a', 'b']);
      expect(text.zscore('z', 'm').read(deliver({ t: 'double', v: 2 }))).toBe(2);
      expect(text.zscore('z', 'm').read(deliver({ t: 'double', v: -Infinity }))).toBe(-Infinity);
      expect(text.zscore('z', 'm').read(deliver(b('1.5')))).toBe(1.5); // RESP2's bulk-string score
      expect(text.zscore('z', 'm').read(deliver({ t: 'nil' }))).toBeNull();
      expect(text.hset('h', { f: 'v' }).read(deliver({ t: 'int', v: 1n }))).toBe(1);
    });
  }

  test('db.call renders the tree as plain JavaScript', () => {
    const data: DataValue = {
      t: 'array',
      v: [{ t: 'nil' }, { t: 'int', v: 7n }, { t: 'double', v: 0.5 }, { t: 'status', v: 'OK' }, b('t'), { t: 'map', v: [b('k'), { t: 'set', v: [b('m')] }] }],
    };
    expect(anyCall(bytesOut('text'), 'x', []).read(reply(data))).toEqual([null, 7n, 0.5, 'OK', 't', new Map([['k', ['m']]])]);
    expect(anyCall(bytesOut('bytes'), 'x', []).read(reply(b('t')))).toStrictEqual(utf8('t'));
  });

  test('a reply of the wrong shape, or without data, is a ProtocolError naming the command', () => {
    expect(() => text.hget('h', 'f').read(reply({ t: 'int', v: 1n }))).toThrow(new ProtocolError('hget reply is int, expected bytes or nil'));
    expect(() => text.hget('h', 'f').read({ ok: true })).toThrow(/hget reply has no data/);
  });
});
