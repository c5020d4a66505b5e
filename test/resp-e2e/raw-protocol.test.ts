// The RESP door byte for byte over plain TCP: inline commands, pipelines cut
// into many small writes, protocol errors closing only the offending
// connection, QUIT, half-close, the RESP2/RESP3 switch, the connection budget
// and backpressure from a client that does not read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, RawClient, startRespNode, type RespNode } from './resp-node.js';

let node: RespNode;
/** Small limits so that stalls and refusals are cheap to reach. */
const PIPELINE_MAX = 64;
const OUTPUT_BYTES_MAX = 256 * 1024;
const CONNECTIONS_MAX = 6;
const VALUE_BYTES_MAX = 1024 * 1024;

beforeAll(async () => {
  node = await startRespNode([
    '--pipeline-max', String(PIPELINE_MAX),
    '--client-output-bytes-max', String(OUTPUT_BYTES_MAX),
    '--connections-max', String(CONNECTIONS_MAX),
    '--value-bytes-max', String(VALUE_BYTES_MAX),
  ]);
});
afterAll(async () => { await node?.stop(); });

const open: RawClient[] = [];
async function client(): Promise<RawClient> {
  const c = await RawClient.connect(node.respPort);
  open.push(c);
  return c;
}
async function closeAll(): Promise<void> {
  for (const c of open.splice(0)) {
    c.close();
    await c.closed;
  }
  // Let the server see the closes before a test counts connections (generous: CI machines are loaded).
  await new Promise((resolve) => setTimeout(resolve, 400));
}

/** Send and wait for exactly `expected` (as text). */
async function roundTrip(c: RawClient, send: string | Uint8Array, expected: string): Promise<void> {
  const before = c.received.length;
  c.write(send);
  const got = await c.waitFor((b) => b.length >= before + Buffer.byteLength(expected, 'latin1'));
  expect(got.subarray(before).toString('latin1')).toBe(expected);
}

describe('RESP over raw TCP', () => {
  it('inline commands, as typed into telnet', async () => {
    const c = await client();
    await roundTrip(c, 'PING\r\n', '+PONG\r\n');
    await roundTrip(c, 'SET raw:k hello\r\nGET raw:k\r\n', '+OK\r\n$5\r\nhello\r\n');
    await roundTrip(c, 'SET "raw:a b" "x y\\n"\nGET "raw:a b"\n', '+OK\r\n$4\r\nx y\n\r\n');
    await roundTrip(c, 'FOO bar\r\n', "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n");
    await roundTrip(c, '\r\n\r\nECHO hi\r\n', '$2\r\nhi\r\n'); // empty lines are skipped
    await closeAll();
  });

  it('a pipeline cut into many tiny writes gets every reply, in order', async () => {
    const c = await client();
    c.socket.setNoDelay(true);
    const parts: Buffer[] = [];
    let expected = '';
    for (let i = 0; i < 150; i++) {
      parts.push(command('SET', `split:${i}`, `v${i}`), command('GET', `split:${i}`), command('INCR', 'split:n'));
      expected += `+OK\r\n$${`v${i}`.length}\r\nv${i}\r\n:${i + 1}\r\n`;
    }
    const all = Buffer.concat(parts);
    for (let at = 0, n = 0; at < all.length; n++) {
      const size = 1 + ((n * 7) % 13);
      c.write(all.subarray(at, at + size));
      at += size;
      if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const got = await c.waitFor((b) => b.length >= expected.length);
    expect(got.toString('latin1')).toBe(expected);
    await closeAll();
  });

  it('protocol garbage closes only that connection, after the replies before it', async () => {
    const good = await client();
    const bad = await client();
    await roundTrip(good, command('SET', 'garbage:ok', '1'), '+OK\r\n');
    bad.write('PING\r\n*1\r\n$abc\r\n');
    await bad.closed;
    expect(bad.received.toString('latin1')).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
    const bad2 = await client();
    bad2.write('*2\r\n$3\r\nGET\r\n$1\r\nkXX\r\n');
    await bad2.closed;
    expect(bad2.received.toString('latin1')).toBe('-ERR Protocol error: expected CRLF after bulk string\r\n');
    await roundTrip(good, command('GET', 'garbage:ok'), '$1\r\n1\r\n');
    expect(good.isClosed).toBe(false);
    await closeAll();
  });

  it('a bulk longer than the value limit is a protocol error; one just under it round-trips', async () => {
    const c = await client();
    const value = Buffer.alloc(VALUE_BYTES_MAX, 0x61);
    c.write(command('SET', 'big:k', value));
    await c.waitForText('+OK\r\n');
    c.write(command('GET', 'big:k'));
    const header = `$${VALUE_BYTES_MAX}\r\n`;
    const got = await c.waitForBytes(5 + header.length + VALUE_BYTES_MAX + 2);
    expect(got.subarray(5, 5 + header.length).toString()).toBe(header);
    expect(got.subarray(5 + header.length, 5 + header.length + VALUE_BYTES_MAX).equals(value)).toBe(true);
    const over = await client();
    over.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${VALUE_BYTES_MAX + 1}\r\n`);
    await over.closed;
    expect(over.received.toString()).toBe('-ERR Protocol error: invalid bulk length\r\n');
    await closeAll();
  });

  it('QUIT answers OK, closes, and runs nothing sent after it', async () => {
    const c = await client();
    c.write('SET quit:before 1\r\nQUIT\r\nSET quit:after 1\r\n');
    await c.closed;
    expect(c.received.toString()).toBe('+OK\r\n+OK\r\n');
    const check = await client();
    await roundTrip(check, 'EXISTS quit:before quit:after\r\n', ':1\r\n');
    await closeAll();
  });

  it('a client that half-closes after its commands still gets every reply', async () => {
    const c = await client();
    const parts: Buffer[] = [];
    for (let i = 0; i < 200; i++) parts.push(command('INCR', 'half:n'));
    c.socket.end(Buffer.concat(parts));
    await c.closed;
    const expected = Array.from({ length: 200 }, (_, i) => `:${i + 1}\r\n`).join('');
    expect(c.received.toString()).toBe(expected);
    await closeAll();
  });

  it('HELLO switches RESP2 <-> RESP3 at its place in a pipeline', async () => {
    const c = await client();
    c.write('GET hello:none\r\nHELLO 3\r\nGET hello:none\r\nHELLO 2\r\nGET hello:none\r\n');
    const got = (await c.waitFor((b) => b.toString('latin1').endsWith('$-1\r\n') && b.toString('latin1').split('$-1\r\n').length === 3)).toString('latin1');
    expect(got.startsWith('$-1\r\n%7\r\n$6\r\nserver\r\n$7\r\npiccolo\r\n$7\r\nversion\r\n$5\r\n6.2.0\r\n$5\r\nproto\r\n:3\r\n')).toBe(true);
    const afterMap = got.indexOf('$7\r\nmodules\r\n*0\r\n') + '$7\r\nmodules\r\n*0\r\n'.length;
    expect(got.slice(afterMap, afterMap + 3)).toBe('_\r\n');
    expect(got.slice(afterMap + 3, afterMap + 8)).toBe('*14\r\n');
    await roundTrip(c, 'HELLO 4\r\n', '-NOPROTO unsupported protocol version\r\n');
    await roundTrip(c, 'AUTH secret\r\n', '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
    await closeAll();
  });

  it(`past connectionsMax (${CONNECTIONS_MAX}) a connection is refused with Redis's error`, async () => {
    const clients: RawClient[] = [];
    for (let i = 0; i < CONNECTIONS_MAX; i++) {
      const c = await client();
      await roundTrip(c, 'PING\r\n', '+PONG\r\n');
      clients.push(c);
    }
    const refused = await client();
    await refused.closed;
    expect(refused.received.toString()).toBe('-ERR max number of clients reached\r\n');
    await closeAll();
    const again = await client();
    await roundTrip(again, 'PING\r\n', '+PONG\r\n');
    await closeAll();
  });

  it('a client that does not read its replies is not read from either, then gets every reply in order', async () => {
    const argBytes = 64 * 1024;
    const count = 1000; // 64 MiB of ECHOs, and as much back
    const slow = await client();
    slow.socket.pause(); // read nothing: the kernel buffers fill, then the server must stop reading
    const arg = Buffer.alloc(argBytes, 0x63);
    const one = command('ECHO', arg);
    slow.write(Buffer.concat(Array.from({ length: count }, () => one)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Had the server kept reading, it would hold all 64 MiB of replies and our
    // send buffer would be empty; paused, most of the requests are still ours.
    expect(slow.socket.writableLength).toBeGreaterThan(32 * 1024 * 1024);
    // Other clients are served meanwhile.
    const other = await client();
    await roundTrip(other, 'PING\r\n', '+PONG\r\n');

    slow.socket.resume();
    const reply = Buffer.concat([Buffer.from(`$${argBytes}\r\n`), arg, Buffer.from('\r\n')]);
    const got = await slow.waitForBytes(reply.length * count, 20_000);
    expect(got.length).toBe(reply.length * count);
    for (let i = 0; i < count; i++) expect(got.subarray(i * reply.length, (i + 1) * reply.length).equals(reply)).toBe(true);
    await closeAll();
  });
});

describe('RESP and graceful shutdown', () => {
  it('SIGTERM answers what is in flight, closes RESP connections and exits 0', async () => {
    const own = await startRespNode();
    const c = await RawClient.connect(own.respPort);
    const idle = await RawClient.connect(own.respPort);
    const parts: Buffer[] = [];
    for (let i = 0; i < 2000; i++) parts.push(command('INCR', 'shutdown:n'));
    c.write(Buffer.concat(parts));
    await c.waitFor((b) => b.length > 0);
    const started = Date.now();
    const code = await own.stop();
    expect(code).toBe(0);
    await c.closed;
    await idle.closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    // Every reply that was sent is whole and in order (commands refused during shutdown say so).
    const lines = c.received.toString().split('\r\n').filter((l) => l !== '');
    lines.forEach((line, i) => {
      if (line.startsWith('-')) expect(line).toBe('-SHUTTINGDOWN the node is shutting down');
      else expect(line).toBe(`:${i + 1}`);
    });
  });
});
