// GET /metrics of a real node (compiled CLI, real workers) after requests
// through each door: WebSocket JSON, HTTP and RESP (ioredis). The counts are
// exact because this file's node serves only this file's requests.
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from '../resp-e2e/resp-node.js';
import { parsePromText, sampleValue, type Sample } from './prom-text.js';

let node: RespNode;
let redis: Redis;
beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

const base = (): string => `http://127.0.0.1:${node.httpPort}`;

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${base()}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePromText(await res.text());
}

/** Send JSON requests over one WebSocket and wait for every reply. */
async function overWebSocket(requests: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const ws = new WebSocket(`ws://127.0.0.1:${node.httpPort}/v1/ws`);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const replies: Record<string, unknown>[] = [];
  const done = new Promise<void>((resolve) => ws.on('message', (data: Buffer) => {
    replies.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
    if (replies.length === requests.length) resolve();
  }));
  requests.forEach((r, id) => ws.send(JSON.stringify({ id, ...r })));
  await done;
  ws.close();
  await new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return replies;
}

/** Poll until `check` passes (worker-published gauges refresh every 100 ms), at most 5 s. */
async function eventually(check: (samples: Sample[]) => void): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const samples = await scrape();
    try {
      check(samples);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('GET /metrics', () => {
  it('counts requests by door and op, errors by code, latency, keys and connections', async () => {
    const ws = await overWebSocket([
      { op: 'set', key: 'm:ws1', value: 'a' },
      { op: 'set', key: 'm:ws2', value: 'b' },
      { op: 'get', key: 'm:ws1' },
      { op: 'incr', key: 'm:ws1', delta: 1 }, // 'a' is not an integer: WRONG_TYPE
    ]);
    expect(ws.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect((await fetch(`${base()}/v1/kv/m:http`, { method: 'PUT', body: 'h' })).status).toBe(200);
    expect((await fetch(`${base()}/v1/kv/m:http`)).status).toBe(200);
    expect((await fetch(`${base()}/v1/kv/m:http`)).status).toBe(200);
    expect(await redis.set('m:resp', 'r', 'EX', 100)).toBe('OK');
    expect(await redis.get('m:resp')).toBe('r');
    const redisOpen = 1;

    await eventually((samples) => {
      const requests = (door: string, op: string): number | undefined => sampleValue(samples, 'piccolo_requests_total', { door, op });
      expect(requests('ws', 'set')).toBe(2);
      expect(requests('ws', 'get')).toBe(1);
      expect(requests('ws', 'incr')).toBe(1);
      expect(requests('http', 'set')).toBe(1);
      expect(requests('http', 'get')).toBe(2);
      expect(requests('resp', 'set')).toBe(1);
      expect(requests('resp', 'get')).toBe(1);
      expect(sampleValue(samples, 'piccolo_request_errors_total', { door: 'ws', op: 'incr', code: 'WRONG_TYPE' })).toBe(1);
      expect(samples.filter((s) => s.name === 'piccolo_request_errors_total')).toHaveLength(1);
      // The histogram: count equals requests, +Inf bucket equals count, buckets never decrease.
      expect(sampleValue(samples, 'piccolo_request_duration_seconds_count', { door: 'http', op: 'get' })).toBe(2);
      expect(sampleValue(samples, 'piccolo_request_duration_seconds_bucket', { door: 'http', op: 'get', le: '+Inf' })).toBe(2);
      const buckets = samples.filter((s) => s.name === 'piccolo_request_duration_seconds_bucket' && s.labels.door === 'ws' && s.labels.op === 'set');
      expect(buckets.length).toBeGreaterThan(10);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(sampleValue(samples, 'piccolo_request_duration_seconds_sum', { door: 'ws', op: 'set' })).toBeGreaterThan(0);
      // Keys: m:ws1, m:ws2, m:http, m:resp (one with a TTL); store bytes are what the shard stores hold: a 1 MiB slab page on each shard written to, plus index tables.
      expect(sampleValue(samples, 'piccolo_keys')).toBe(4);
      expect(sampleValue(samples, 'piccolo_keys_with_ttl')).toBe(1);
      expect(sampleValue(samples, 'piccolo_store_bytes')).toBeGreaterThanOrEqual(1024 * 1024);
      expect(sampleValue(samples, 'piccolo_store_bytes')).toBeLessThan(4 * 1024 * 1024);
      // Connections: the WebSocket closed, ioredis is open.
      expect(sampleValue(samples, 'piccolo_connections', { door: 'ws' })).toBe(0);
      expect(sampleValue(samples, 'piccolo_connections_accepted_total', { door: 'ws' })).toBe(1);
      expect(sampleValue(samples, 'piccolo_connections', { door: 'resp' })).toBe(redisOpen);
      expect(sampleValue(samples, 'piccolo_connections_rejected_total', { door: 'resp' })).toBe(0);
      expect(sampleValue(samples, 'piccolo_resp_commands_total')).toBeGreaterThanOrEqual(2);
    });
  });

  it('shows the workers: ring depth per ring, busy time growing with work, and process memory', async () => {
    const before = await scrape();
    const busy = (samples: Sample[]): number => samples.filter((s) => s.name === 'piccolo_worker_busy_seconds_total').reduce((n, s) => n + s.value, 0);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2_000; i++) pipeline.set(`busy:${i}`, 'x'.repeat(100));
    await pipeline.exec();
    await eventually((samples) => {
      expect(busy(samples)).toBeGreaterThan(busy(before));
      expect(samples.filter((s) => s.name === 'piccolo_worker_busy_seconds_total')).toHaveLength(2);
    });
    const samples = await scrape();
    for (const worker of ['0', '1']) {
      for (const ring of ['request', 'reply']) {
        // Idle now: nothing waits in either ring.
        expect(sampleValue(samples, 'piccolo_ring_waiting_bytes', { worker, ring })).toBe(0);
      }
    }
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('INFO reads the same counters', async () => {
    const samples = await scrape();
    const info = await redis.info('stats');
    const field = (name: string): number => Number(new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(info)![1]);
    // INFO itself is one more command than the scrape saw.
    expect(field('total_commands_processed')).toBe(sampleValue(samples, 'piccolo_resp_commands_total')! + 1);
    expect(field('total_connections_received')).toBe(sampleValue(samples, 'piccolo_connections_accepted_total', { door: 'resp' }));
  });
});
