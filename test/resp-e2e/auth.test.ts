// A node started with --requirepass: RESP clients must AUTH (or HELLO ...
// AUTH) before anything but AUTH, HELLO and QUIT; texts as Redis's.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startRespNode, type RespNode } from './resp-node.js';

const PASSWORD = 'correct horse';
let node: RespNode;
beforeAll(async () => { node = await startRespNode(['--requirepass', PASSWORD]); });
afterAll(async () => { await node?.stop(); });

async function exchange(c: RawClient, send: string, expected: string): Promise<void> {
  const before = c.received.length;
  c.write(send);
  const got = await c.waitFor((b) => b.length >= before + expected.length);
  expect(got.subarray(before).toString()).toBe(expected);
}

describe('RESP with --requirepass', () => {
  it('refuses commands before AUTH, accepts them after, in pipeline order', async () => {
    const c = await RawClient.connect(node.respPort);
    await exchange(c, 'PING\r\n', '-NOAUTH Authentication required.\r\n');
    await exchange(c, 'GET k\r\n', '-NOAUTH Authentication required.\r\n');
    await exchange(c, 'HELLO 3\r\n', '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n');
    await exchange(c, 'AUTH wrong\r\n', '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    await exchange(c, 'AUTH someone "correct horse"\r\n', '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    // AUTH, then commands after it in the same write run authenticated.
    await exchange(c, 'AUTH "correct horse"\r\nSET k v\r\nGET k\r\n', '+OK\r\n+OK\r\n$1\r\nv\r\n');
    c.close();

    const d = await RawClient.connect(node.respPort);
    await exchange(d, 'AUTH default "correct horse"\r\nPING\r\n', '+OK\r\n+PONG\r\n');
    d.close();
    const q = await RawClient.connect(node.respPort);
    await exchange(q, 'QUIT\r\n', '+OK\r\n');
    await q.closed;
  });

  it('HELLO with AUTH logs in and switches protocol in one step', async () => {
    const c = await RawClient.connect(node.respPort);
    const got = await (async () => {
      c.write('HELLO 3 AUTH default "correct horse" SETNAME me\r\nCLIENT GETNAME\r\n');
      return (await c.waitFor((b) => b.toString().endsWith('$2\r\nme\r\n'))).toString();
    })();
    expect(got.startsWith('%7\r\n$6\r\nserver\r\n$7\r\npiccolo\r\n')).toBe(true);
    await exchange(c, 'HELLO 3 AUTH default nope\r\n', '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    c.close();
  });

  it('ioredis with the password works; without it, commands fail with NOAUTH', async () => {
    const good = new Redis({ port: node.respPort, host: '127.0.0.1', password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0 });
    await good.connect();
    expect(await good.set('auth:k', 'v')).toBe('OK');
    expect(await good.get('auth:k')).toBe('v');
    good.disconnect();

    const bad = new Redis({
      port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, protocol: 2,
    });
    await bad.connect();
    await expect(bad.get('auth:k')).rejects.toThrow('NOAUTH Authentication required.');
    bad.disconnect();
  });
});
