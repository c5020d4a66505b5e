// The typed client's db.transaction(tx => …) against a real node (compiled
// CLI, two worker threads), over both wire formats: one atomic unit with
// typed results, a watched version that changed (nothing applied), a call's
// own error beside applied ones, CROSS_SLOT across shards, and atomicity
// under concurrent transactions. Also the HTTP atomic batch and the
// WebSocket `tx` op as raw frames, JSON and Cap'n Proto.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, PiccoloError, type FormatName, type PiccoloClient } from '../../client/index.js';
import { wireFormat } from '../../client/wire-format.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { decodeResponse, encodeRequest } from '../../schema/binary-codec.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { startNode, type RunningNode } from '../e2e/spawn-node.js';

let node: RunningNode;
beforeAll(async () => { node = await startNode(['--workers', '2', '--no-pin']); });
afterAll(async () => { await node?.stop(); });

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);
const slots = new SlotMap(2, 2);
const shardOf = (key: string): number => slots.shardOf(slotOf(Buffer.from(key)));

describe.each<FormatName>(['binary', 'json'])('db.transaction over %s', (format) => {
  let kv: PiccoloClient;
  /** Keys private to this format's run, in one slot (a hash tag). */
  const k = (name: string): string => `{${format}}${name}`;
  beforeAll(async () => { kv = await connect(node.wsUrl, { format }); });
  afterAll(async () => { await kv?.close(); });

  it('applies every call as one unit; each TxResult holds its value', async () => {
    const outcome = await kv.transaction((tx) => ({
      set: tx.set(k('a'), 'x'),
      appended: tx.append(k('a'), 'yz'),
      n: tx.incr(k('n'), 5),
      read: tx.get(k('a')),
      gone: tx.del(k('nothing')),
    }));
    expect(outcome.committed).toBe(true);
    if (!outcome.committed) return;
    const { set, appended, n, read, gone } = outcome.result;
    expect(appended.value).toBe(3);
    expect(n.value).toBe(5n);
    expect(text(read.value!.value)).toBe('xyz');
    // One log entry: every write in it has the same version.
    expect(read.value!.version).toBe(set.value.version);
    expect(gone.value).toBe(false);
  });

  it('a watched key at another version: nothing applied, committed false', async () => {
    const { version } = await kv.set(k('w'), 'v1');
    await kv.set(k('w'), 'v2');
    const outcome = await kv.transaction((tx) => {
      tx.watch(k('w'), version);
      return tx.set(k('w'), 'mine');
    });
    expect(outcome).toEqual({ committed: false });
    expect(await kv.getString(k('w'))).toBe('v2');
    const current = (await kv.get(k('w')))!.version;
    const again = await kv.transaction((tx) => {
      tx.watch(k('w'), current);
      tx.watch(k('absent'), 0);
      return tx.set(k('w'), 'mine');
    });
    expect(again.committed).toBe(true);
    expect(await kv.getString(k('w'))).toBe('mine');
  });

  it('a call\'s own error is its result; the calls around it apply', async () => {
    await kv.set(k('text'), 'abc');
    const outcome = await kv.transaction((tx) => ({ bad: tx.incr(k('text')), good: tx.set(k('after'), '1') }));
    expect(outcome.committed).toBe(true);
    if (!outcome.committed) return;
    expect(outcome.result.bad.error?.code).toBe('WRONG_TYPE');
    expect(() => outcome.result.bad.value).toThrow(PiccoloError);
    expect(outcome.result.good.value.version).toBeGreaterThan(0);
    expect(await kv.getString(k('after'))).toBe('1');
  });

  it('keys on two shards reject with CROSS_SLOT; nothing applied', async () => {
    const a = `${format}-cross-0`;
    let b = `${format}-cross-1`;
    for (let i = 2; shardOf(b) === shardOf(a); i++) b = `${format}-cross-${i}`;
    const error = await kv.transaction((tx) => { tx.set(a, '1'); tx.set(b, '1'); }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(PiccoloError);
    expect((error as PiccoloError).code).toBe('CROSS_SLOT');
    expect(await kv.exists(a)).toBe(false);
    expect(await kv.exists(b)).toBe(false);
  });

  it('concurrent transfers keep the total on every transactional read', async () => {
    await kv.transaction((tx) => { tx.set(k('x'), '100'); tx.set(k('y'), '0'); });
    const transfers = Array.from({ length: 60 }, (_, i) => kv.transaction((tx) => {
      tx.incr(k('x'), -(i % 3 + 1));
      tx.incr(k('y'), i % 3 + 1);
    }));
    const reads = Array.from({ length: 60 }, () => kv.transaction((tx) => ({ x: tx.get(k('x')), y: tx.get(k('y')) })));
    await Promise.all(transfers);
    for (const outcome of await Promise.all(reads)) {
      if (!outcome.committed) throw new Error('a read-only transaction without watches always commits');
      expect(Number(text(outcome.result.x.value!.value)) + Number(text(outcome.result.y.value!.value))).toBe(100);
    }
  });
});

describe('the binary form', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

  it('the typed client\'s binary format writes a transaction as one Cap\'n Proto frame', () => {
    const tx: Request = { op: 'tx', ops: [{ op: 'set', key: bytes('{b}k'), value: bytes('v') }], watch: [{ key: bytes('{b}k'), version: 0 }] };
    expect(wireFormat('binary').encode(5, tx)).toStrictEqual(encodeRequest(5n, tx));
  });

  it('a WebSocket binary frame with a tx: applied whole, or nothing when a watched key changed; the reply is binary', async () => {
    const ws = new WebSocket(node.wsUrl);
    ws.binaryType = 'nodebuffer';
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    try {
      const ask = (id: bigint, request: Request): Promise<Reply> => new Promise((resolve, reject) => {
        ws.once('message', (data, isBinary) => {
          if (!isBinary) reject(new Error(`a text reply to a binary frame: ${String(data)}`));
          const decoded = decodeResponse(new Uint8Array(data as Buffer));
          expect(decoded.id).toBe(id);
          resolve(decoded.reply);
        });
        ws.send(encodeRequest(id, request), { binary: true });
      });
      const set = await ask(1n, { op: 'set', key: bytes('{bin}k'), value: bytes('a') });
      const version = set.ok ? set.version! : 0;
      const write: Request[] = [{ op: 'set', key: bytes('{bin}k'), value: bytes('b') }, { op: 'incr', key: bytes('{bin}n'), delta: 4n }];
      expect(await ask(2n, { op: 'tx', ops: write, watch: [{ key: bytes('{bin}k'), version: version - 1 }] })).toStrictEqual({ ok: true, found: false });
      const done = await ask(3n, { op: 'tx', ops: [...write, { op: 'get', key: bytes('{bin}k') }], watch: [{ key: bytes('{bin}k'), version }] });
      expect(done).toMatchObject({ ok: true, found: true, replies: [{ ok: true }, { ok: true, integer: 4n }, { ok: true, found: true, value: bytes('b') }] });
      // Bad input answers with its error on the same connection, which stays open.
      const refused = await ask(4n, { op: 'tx', ops: [{ op: 'set', key: bytes('{bin}k'), value: bytes('c') }, { op: 'flush' }], watch: [] });
      expect(refused).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
      expect(await ask(5n, { op: 'get', key: bytes('{bin}k') })).toMatchObject({ ok: true, value: bytes('b') });
    } finally {
      ws.close();
    }
  });
});

describe('the JSON forms', () => {
  it('HTTP POST /v1/batch with atomic: true is one transaction; without it, BAD_REQUEST', async () => {
    const body = { atomic: true, ops: [{ op: 'set', key: '{h}a', value: '1' }, { op: 'incr', key: '{h}a', delta: 2 }, { op: 'get', key: '{h}a' }] };
    const res = await fetch(`${node.baseUrl}/v1/batch`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const json = await res.json() as { ok: boolean; found: boolean; replies: { ok: boolean; integer?: number; value?: string }[] };
    expect(json.found).toBe(true);
    expect(json.replies[1]).toMatchObject({ ok: true, integer: 3 });
    expect(json.replies[2]).toMatchObject({ ok: true, value: '3' });
    const refused = await fetch(`${node.baseUrl}/v1/batch`, { method: 'POST', body: JSON.stringify({ ops: body.ops }) });
    expect(refused.status).toBe(400);
    const nested = await fetch(`${node.baseUrl}/v1/batch`, { method: 'POST', body: JSON.stringify({ atomic: true, ops: [{ op: 'count' }] }) });
    expect(nested.status).toBe(400);
    expect((await nested.json() as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    expect((await fetch(`${node.baseUrl}/v1/batch`)).status).toBe(405);
  });

  it('a WebSocket JSON frame with op tx, watch included', async () => {
    const ws = new WebSocket(node.wsUrl);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    try {
      const ask = (frame: unknown): Promise<Record<string, unknown>> => new Promise((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>));
        ws.send(JSON.stringify(frame));
      });
      const set = await ask({ id: 1, op: 'set', key: '{ws}k', value: 'a' });
      const version = set.version as number;
      expect(await ask({ id: 2, op: 'tx', ops: [{ op: 'set', key: '{ws}k', value: 'b' }], watch: [{ key: '{ws}k', version: version - 1 }] }))
        .toEqual({ id: 2, ok: true, found: false });
      const done = await ask({ id: 3, op: 'tx', ops: [{ op: 'set', key: '{ws}k', value: 'b' }, { op: 'get', key: '{ws}k' }], watch: [{ key: '{ws}k', version }] });
      expect(done).toMatchObject({ id: 3, ok: true, found: true, replies: [{ ok: true }, { ok: true, found: true, value: 'b' }] });
    } finally {
      ws.close();
    }
  });
});
