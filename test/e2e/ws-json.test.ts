// WebSocket JSON front door against a real node: deep pipelining, ordering,
// garbage frames, pinning, graceful shutdown.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type RunningNode } from './spawn-node.js';

let node: RunningNode;
beforeAll(async () => { node = await startNode(['--workers', '2']); });
afterAll(async () => { await node?.stop(); });

type Json = Record<string, unknown>;

/** A WebSocket that collects replies in arrival order. */
async function open(url: string): Promise<{ ws: WebSocket; replies: (Json | Buffer)[]; waitFor: (n: number) => Promise<void>; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const replies: (Json | Buffer)[] = [];
  let wake: (() => void) | null = null;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    replies.push(isBinary ? data : JSON.parse(data.toString('utf8')) as Json);
    wake?.();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => { wake?.(); resolve(code); }));
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const waitFor = async (n: number): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (replies.length < n && ws.readyState === WebSocket.OPEN) {
      if (Date.now() > deadline) throw new Error(`only ${replies.length}/${n} replies`);
      await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 200); });
    }
  };
  return { ws, replies, waitFor, closed };
}

describe('WebSocket JSON', () => {
  it('answers 10,000 pipelined mixed requests correctly and in order', async () => {
    const { ws, replies, waitFor } = await open(node.wsUrl);
    // A local model predicts every reply: keys are private to this test.
    const model = new Map<string, string>();
    const counters = new Map<string, bigint>();
    const expected: ((r: Json) => void)[] = [];
    let seed = 12345;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    for (let i = 0; i < 10_000; i++) {
      const key = `p:${rand(50)}`;
      const counter = `c:${rand(10)}`;
      const kind = rand(5);
      const id = i;
      if (kind === 0) {
        const value = `v${i}`;
        ws.send(JSON.stringify({ id, op: 'set', key, value }));
        model.set(key, value);
        expected.push((r) => { expect(r.ok).toBe(true); });
      } else if (kind === 1) {
        ws.send(JSON.stringify({ id, op: 'get', key }));
        const want = model.get(key);
        expected.push((r) => {
          expect(r.ok).toBe(true);
          if (want === undefined) expect(r.found).toBe(false);
          else expect(r.value).toBe(want);
        });
      } else if (kind === 2) {
        ws.send(JSON.stringify({ id, op: 'del', key }));
        const existed = model.delete(key);
        expected.push((r) => { expect(r.found).toBe(existed); });
      } else if (kind === 3) {
        ws.send(JSON.stringify({ id, op: 'incr', key: counter, delta: 3 }));
        const next = (counters.get(counter) ?? 0n) + 3n;
        counters.set(counter, next);
        expected.push((r) => { expect(BigInt(r.integer as number)).toBe(next); });
      } else {
        ws.send(JSON.stringify({ id, op: 'exists', key }));
        const has = model.has(key);
        expected.push((r) => { expect(r.found).toBe(has); });
      }
    }
    await waitFor(10_000);
    expect(replies).toHaveLength(10_000);
    replies.forEach((reply, i) => {
      const r = reply as Json;
      expect(r.id).toBe(i);
      expected[i]!(r);
    });
    ws.close();
  });

  it('a malformed JSON request gets an error reply and the connection stays usable', async () => {
    const { ws, replies, waitFor } = await open(node.wsUrl);
    ws.send('{not json');
    ws.send(JSON.stringify({ id: 1, op: 'frobnicate', key: 'x' }));
    ws.send(JSON.stringify({ id: 2, op: 'get' }));
    ws.send(JSON.stringify({ id: 3, op: 'set', key: 'k'.repeat(20_000), value: 'v' }));
    ws.send(JSON.stringify({ id: 4, op: 'set', key: 'ok-key', value: 'fine' }));
    ws.send(JSON.stringify({ id: 5, op: 'get', key: 'ok-key' }));
    await waitFor(6);
    const codes = replies.map((r) => ((r as Json).error as Json | undefined)?.code);
    expect(codes.slice(0, 4)).toEqual(['BAD_FRAME', 'UNKNOWN_OP', 'BAD_REQUEST', 'KEY_TOO_LONG']);
    expect((replies[5] as Json).value).toBe('fine');
    ws.close();
  });

  it('garbage text and binary frames never crash the node or change stored data', async () => {
    const probe = await open(node.wsUrl);
    probe.ws.send(JSON.stringify({ id: 'before', op: 'set', key: 'sentinel', value: 'intact' }));
    await probe.waitFor(1);
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.string({ maxLength: 200 }), fc.json(), fc.uint8Array({ maxLength: 300 })),
      async (garbage) => {
        const conn = await open(node.wsUrl);
        conn.ws.send(garbage);
        conn.ws.send(JSON.stringify({ id: 'after', op: 'get', key: 'sentinel' }));
        await Promise.race([conn.waitFor(2), conn.closed]);
        if (conn.ws.readyState === WebSocket.OPEN) {
          // The frame boundary was intact: the connection must still work.
          const last = conn.replies[conn.replies.length - 1] as Json;
          expect(last.id).toBe('after');
          expect(last.value).toBe('intact');
          conn.ws.close();
        } else {
          // An unparseable binary frame closes only this connection, with a close code.
          expect(typeof garbage === 'string').toBe(false);
          expect(await conn.closed).toBeGreaterThanOrEqual(1000);
        }
      },
    ), { numRuns: 60 });
    probe.ws.send(JSON.stringify({ id: 'check', op: 'get', key: 'sentinel' }));
    await probe.waitFor(2);
    expect((probe.replies[1] as Json).value).toBe('intact');
    probe.ws.close();
  });

  it('an oversized frame closes only that connection', async () => {
    const big = await open(node.wsUrl);
    const other = await open(node.wsUrl);
    big.ws.send(Buffer.alloc(9 * 1024 * 1024, 1));
    const code = await big.closed;
    expect(code).not.toBe(1000);
    other.ws.send(JSON.stringify({ id: 1, op: 'exists', key: 'x' }));
    await other.waitFor(1);
    expect((other.replies[0] as Json).ok).toBe(true);
    other.ws.close();
  });

  it('runs one worker thread per requested worker, each pinned to its own CPU', async () => {
    const health = await (await fetch(`${node.baseUrl}/healthz`)).json() as { workers: { tid: number; cpu: number; pinned: boolean }[] };
    expect(health.workers).toHaveLength(2);
    const cpus = new Set<number>();
    for (const w of health.workers) {
      expect(w.pinned).toBe(true);
      const status = readFileSync(`/proc/${node.process.pid}/task/${w.tid}/status`, 'utf8');
      const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(status)![1];
      expect(allowed).toBe(String(w.cpu));
      cpus.add(w.cpu);
    }
    expect(cpus.size).toBe(2);
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM finishes in-flight requests and exits 0', async () => {
    const own = await startNode(['--workers', '2']);
    const conn = await open(own.wsUrl);
    for (let i = 0; i < 2000; i++) conn.ws.send(JSON.stringify({ id: i, op: 'set', key: `s${i}`, value: 'x' }));
    await conn.waitFor(1);
    const exit = own.stop();
    await Promise.race([conn.waitFor(2000), conn.closed]);
    // Every request that was accepted was answered, in order; later ones were refused or never sent.
    conn.replies.forEach((r, i) => {
      const reply = r as Json;
      expect(reply.id).toBe(i);
      if (!reply.ok) expect((reply.error as Json).code).toBe('SHUTTING_DOWN');
    });
    expect(await exit).toBe(0);
  });
});
