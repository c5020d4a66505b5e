// Failed logins are counted per door in /metrics, and /metrics itself needs
// the node's password when one is set (a real node, real HTTP and RESP clients).

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../security/security-node.js';

let node: TestNode;
const auth = { authorization: 'Bearer metrics-pass' };

beforeAll(async () => {
  node = await startTestNode({ requirePass: 'metrics-pass' });
});
afterAll(async () => {
  await node.server.close();
});

function counter(text: string, name: string, door: string): number {
  const m = new RegExp(`^${name}\\{door="${door}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('metrics behind the password', () => {
  it('GET /metrics without the bearer token is 401; with it, failed logins are counted by door', async () => {
    expect((await fetch(`${node.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${node.baseUrl}/v1/kv/k`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(node.server.respPort!, '127.0.0.1', () => socket.write('AUTH wrong\r\n'));
      socket.setEncoding('utf8').once('data', (d: string) => { socket.destroy(); resolve(d); }).once('error', reject);
    });
    expect(reply).toMatch(/^-WRONGPASS/);
    const res = await fetch(`${node.baseUrl}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    const text = await res.text();
    // The 401 on /metrics above counts too: it was a request with no valid password.
    expect(counter(text, 'piccolo_auth_failures_total', 'http')).toBeGreaterThanOrEqual(1);
    expect(counter(text, 'piccolo_auth_failures_total', 'resp')).toBe(1);
  });
});
