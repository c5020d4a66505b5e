// mountMetricsRoute on a real uWS app on loopback, with a NodeMetrics over a
// stand-in worker source: the 401 path, counts fed through the node's
// executor and budget wrappers, auth failures, and two nodes in one process
// keeping their counts apart.
import '../../runtime-node/uws-env.js';
import uWS from 'uWebSockets.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestExecutor } from '../../core/node/dispatcher.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { ConnectionBudget } from '../../runtime-node/io/connection-budget.js';
import type { WorkerSnapshot } from '../../runtime-node/io/worker-pool.js';
import { mountMetricsRoute } from '../../runtime-node/metrics/metrics-route.js';
import { NodeMetrics } from '../../runtime-node/metrics/node-metrics.js';
import { parsePromText, sampleValue } from './prom-text.js';

const worker: WorkerSnapshot = {
  keys: 7, busySeconds: 1.5, dataBytes: 1234, expiringKeys: 2, expiredKeys: 3, requestRingBytes: 64, replyRingBytes: 16,
  heldForLeader: 11, refusedAfterLeaderWait: 4,
};

const opened: { metrics: NodeMetrics; app: uWS.TemplatedApp; token: uWS.us_listen_socket }[] = [];
afterEach(() => {
  for (const { metrics, app, token } of opened.splice(0)) {
    uWS.us_listen_socket_close(token);
    app.close();
    metrics.close();
  }
});

async function serve(authorize?: (req: uWS.HttpRequest) => boolean): Promise<{ metrics: NodeMetrics; url: string }> {
  const metrics = new NodeMetrics({ workerSnapshots: () => [worker] });
  const app = uWS.App();
  mountMetricsRoute(app, authorize ? { metrics, authorize } : { metrics });
  const token = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (t) => (t ? resolve(t) : reject(new Error('cannot listen'))));
  });
  opened.push({ metrics, app, token });
  return { metrics, url: `http://127.0.0.1:${uWS.us_socket_local_port(token)}/metrics` };
}

/** An executor that answers every request at once with `reply`. */
const answering = (reply: Reply): RequestExecutor => ({ execute: (_req: Request, onReply) => onReply(reply) });

describe('mountMetricsRoute', () => {
  it('answers 401 with a Bearer challenge when authorize refuses, 200 when it accepts', async () => {
    const { url } = await serve((req) => req.getHeader('authorization') === 'Bearer s3cret');
    const refused = await fetch(url, { headers: { authorization: 'Bearer wrong' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await refused.text()).not.toMatch(/piccolo_/);
    const ok = await fetch(url, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP /m);
  });

  it('serves counts fed through the executor and budget wrappers, auth failures and worker gauges', async () => {
    const { metrics, url } = await serve();
    const ok = metrics.executorFor('http', answering({ ok: true, found: true }));
    const bad = metrics.executorFor('resp', answering({ ok: false, code: 'VERSION_MISMATCH', message: 'no' }));
    for (let i = 0; i < 3; i++) ok.execute({ op: 'get', key: new Uint8Array([1]) }, () => {});
    bad.execute({ op: 'set', key: new Uint8Array([1]), value: new Uint8Array(0), expectedVersion: 9 }, () => {});
    const budget = new ConnectionBudget(1);
    const ws = metrics.budgetFor('ws', budget);
    const resp = metrics.budgetFor('resp', budget);
    expect(ws.tryAcquire()).toBe(true);
    expect(resp.tryAcquire()).toBe(false); // one budget for both doors
    expect(resp.count).toBe(1);
    resp.refused();
    metrics.authFailed('ws');
    metrics.authFailed('ws');

    const samples = parsePromText(await (await fetch(url)).text());
    expect(sampleValue(samples, 'piccolo_requests_total', { door: 'http', op: 'get' })).toBe(3);
    expect(sampleValue(samples, 'piccolo_requests_total', { door: 'resp', op: 'set' })).toBe(1);
    expect(sampleValue(samples, 'piccolo_request_errors_total', { door: 'resp', op: 'set', code: 'VERSION_MISMATCH' })).toBe(1);
    expect(sampleValue(samples, 'piccolo_request_duration_seconds_count', { door: 'http', op: 'get' })).toBe(3);
    expect(sampleValue(samples, 'piccolo_connections', { door: 'ws' })).toBe(1);
    expect(sampleValue(samples, 'piccolo_connections_accepted_total', { door: 'ws' })).toBe(1);
    expect(sampleValue(samples, 'piccolo_connections_rejected_total', { door: 'resp' })).toBe(2);
    expect(sampleValue(samples, 'piccolo_auth_failures_total', { door: 'ws' })).toBe(2);
    expect(sampleValue(samples, 'piccolo_auth_failures_total', { door: 'http' })).toBe(0);
    expect(sampleValue(samples, 'piccolo_keys')).toBe(7);
    expect(sampleValue(samples, 'piccolo_store_bytes')).toBe(1234);
    expect(sampleValue(samples, 'piccolo_keys_with_ttl')).toBe(2);
    expect(sampleValue(samples, 'piccolo_worker_busy_seconds_total', { worker: '0' })).toBe(1.5);
    expect(sampleValue(samples, 'piccolo_requests_held_for_leader_total')).toBe(11);
    expect(sampleValue(samples, 'piccolo_requests_refused_after_leader_wait_total')).toBe(4);
    expect(sampleValue(samples, 'piccolo_ring_waiting_bytes', { worker: '0', ring: 'request' })).toBe(64);
    expect(sampleValue(samples, 'piccolo_ring_waiting_bytes', { worker: '0', ring: 'reply' })).toBe(16);
    ws.release();
    expect(budget.count).toBe(0);
  });

  it('keeps two nodes in one process apart (one registry each), and RESETSTAT leaves Prometheus counters alone', async () => {
    const a = await serve();
    const b = await serve();
    a.metrics.executorFor('ws', answering({ ok: true })).execute({ op: 'count' }, () => {});
    a.metrics.respCommandProcessed();
    a.metrics.resetInfoCounters();
    expect(a.metrics.infoCounters().commandsProcessed).toBe(0);
    const sa = parsePromText(await (await fetch(a.url)).text());
    const sb = parsePromText(await (await fetch(b.url)).text());
    expect(sampleValue(sa, 'piccolo_requests_total', { door: 'ws', op: 'count' })).toBe(1);
    expect(sampleValue(sb, 'piccolo_requests_total', { door: 'ws', op: 'count' })).toBeUndefined();
    expect(sampleValue(sa, 'piccolo_resp_commands_total')).toBe(1);
  });
});
