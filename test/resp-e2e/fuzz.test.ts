// Random commands, mostly the ones the RESP door serves itself, with hostile
// arguments (JS property names, huge and negative numbers, globs, garbage):
// every command gets exactly one well-formed reply, in RESP2 and RESP3, and
// the node stays up.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAll } from '../resp/resp-decoder.js';
import { command, RawClient, startRespNode, type RespNode } from './resp-node.js';

let node: RespNode;
beforeAll(async () => { node = await startRespNode(); });
afterAll(async () => { await node?.stop(); });

const NAMES = [
  'hello', 'auth', 'client', 'command', 'config', 'info', 'keys', 'scan', 'randomkey', 'rename',
  'get', 'set', 'mset', 'del', 'incr', 'expire', 'ping', 'select', 'dbsize', 'getver', 'cas',
];
const WORDS = [
  'constructor', '__proto__', 'toString', 'hasOwnProperty', 'GET', 'SET', 'SETNAME', 'GETNAME', 'ID', 'INFO', 'LIST',
  'SETINFO', 'LIB-NAME', 'LIB-VER', 'COUNT', 'DOCS', 'MATCH', 'TYPE', 'string', 'hash', 'AUTH', 'default', 'RESETSTAT',
  'HELP', 'all', 'keyspace', 'memory', '0', '1', '2', '3', '-1', '10', '99999999999999999999', '-9223372036854775808',
  '9223372036854775807', '1e3', '', '*', '?', '[', '[a-', '\\', 'k', 'fz:a', 'fz:b', 'fz:*', 'fz:[ab]',
];
const arg = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('latin1')) },
);
/** Subcommands and options the door parses, so random commands reach past the first argument. */
const SUBCOMMANDS: Readonly<Record<string, string[]>> = {
  client: ['ID', 'GETNAME', 'SETNAME', 'SETINFO', 'INFO', 'LIST', 'HELP', 'constructor'],
  command: ['COUNT', 'INFO', 'DOCS', 'LIST', 'HELP', 'constructor'],
  config: ['GET', 'SET', 'RESETSTAT', 'HELP', 'constructor'],
  hello: ['2', '3', '4', 'x'],
  scan: ['0', '1', '2', '-1', 'x'],
  keys: ['*', 'fz:*', '[', '\\'],
  info: ['all', 'keyspace', 'constructor'],
};
const structured = fc.constantFrom(...Object.keys(SUBCOMMANDS)).chain((name) => fc.tuple(
  fc.constant(name),
  fc.tuple(fc.constantFrom(...SUBCOMMANDS[name]!), fc.array(arg, { maxLength: 4 })).map(([sub, rest]) => [sub, ...rest]),
));
const commandArb = fc.oneof(
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NAMES), fc.array(arg, { maxLength: 5 })) },
  { weight: 2, arbitrary: structured },
);

describe('RESP fuzz', () => {
  it('every command gets one well-formed reply and the node stays up', async () => {
    const batches = fc.sample(fc.array(commandArb, { minLength: 20, maxLength: 60 }), { numRuns: 30, seed: 42 });
    for (const [i, batch] of batches.entries()) {
      const c = await RawClient.connect(node.respPort);
      // Half the batches in RESP3; QUIT would end the batch early, so it is not in NAMES.
      const prefix = i % 2 === 0 ? [command('HELLO', '3')] : [];
      const sent = [...prefix, ...batch.map(([name, args]) => command(name, ...args.map((a) => Buffer.from(a, 'latin1')))), command('PING', 'end')];
      c.write(Buffer.concat(sent));
      const got = await c.waitFor((b) => b.toString('latin1').endsWith('$3\r\nend\r\n'), 20_000);
      const replies = decodeAll(got);
      expect(replies).toHaveLength(sent.length);
      c.close();
    }
    const check = await RawClient.connect(node.respPort);
    check.write('PING\r\n');
    expect((await check.waitFor((b) => b.length >= 7)).toString()).toBe('+PONG\r\n');
    check.close();
    expect(node.process.exitCode).toBeNull();
  });
});
