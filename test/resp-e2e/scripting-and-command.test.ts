// The scripting families answered as a server without scripts, and COMMAND
// INFO / DOCS / COUNT describing every command served, against a real node
// with ioredis (and redis-cli when installed).
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../core/resp/commands.js';
import { errorOf, redisCliPath, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

const SCRIPTING_ERROR = 'ERR scripting is not supported by Piccolo';

describe('scripting', () => {
  it('EVAL, EVALSHA, FCALL and their _RO forms refuse clearly; the connection goes on', async () => {
    expect(await errorOf(redis.eval('return 1', 0))).toBe(SCRIPTING_ERROR);
    expect(await errorOf(redis.evalsha('a'.repeat(40), 0))).toBe(SCRIPTING_ERROR);
    for (const name of ['eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']) {
      expect(await errorOf(redis.call(name, 'x', '1', 'key'))).toBe(SCRIPTING_ERROR);
    }
    expect(await errorOf(redis.call('eval', 'return 1'))).toBe("ERR wrong number of arguments for 'eval' command");
    expect(await redis.ping()).toBe('PONG');
  });

  it('SCRIPT: EXISTS says no, FLUSH is OK, LOAD refuses, KILL has nothing to kill', async () => {
    expect(await redis.script('EXISTS', 'a'.repeat(40), 'b'.repeat(40))).toEqual([0, 0]);
    expect(await redis.script('FLUSH')).toBe('OK');
    expect(await redis.call('script', 'flush', 'async')).toBe('OK');
    expect(await errorOf(redis.call('script', 'flush', 'later'))).toBe('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    expect(await errorOf(redis.script('LOAD', 'return 1'))).toBe(SCRIPTING_ERROR);
    expect(await errorOf(redis.call('script', 'kill'))).toBe('NOTBUSY No scripts in execution right now.');
    expect(await errorOf(redis.call('script', 'frob'))).toBe("ERR unknown subcommand 'frob'. Try SCRIPT HELP.");
  });

  it('FUNCTION: LIST empty, STATS with no engine, FLUSH OK, LOAD refuses', async () => {
    expect(await redis.call('function', 'list')).toEqual([]);
    expect(await redis.call('function', 'stats')).toEqual(['running_script', null, 'engines', []]);
    expect(await redis.call('function', 'flush')).toBe('OK');
    expect(await errorOf(redis.call('function', 'load', '#!lua name=x\nredis.register_function("f", function() return 1 end)'))).toBe(SCRIPTING_ERROR);
    expect(await errorOf(redis.call('function', 'delete', 'x'))).toBe('ERR Library not found');
  });

  it.skipIf(redisCliPath() === null)('redis-cli sees the same error', () => {
    const result = spawnSync(redisCliPath()!, ['-h', '127.0.0.1', '-p', String(node.respPort), 'EVAL', 'return 1', '0'], {
      encoding: 'utf8', timeout: 15_000,
    });
    // Not a terminal: redis-cli prints the error text without its '(error)' prefix.
    expect(result.stdout.trim()).toBe(SCRIPTING_ERROR);
  });
});

type Entry = [string, number, string[], number, number, number, string[], unknown[], unknown[], unknown[]];

describe('COMMAND', () => {
  it('COUNT, LIST and INFO cover every command the node serves', async () => {
    expect(await redis.call('command', 'count')).toBe(COMMAND_NAMES.length);
    expect(((await redis.call('command', 'list')) as string[]).sort()).toEqual([...COMMAND_NAMES].sort());
    const all = await redis.call('command') as Entry[];
    expect(all.map((e) => e[0]).sort()).toEqual([...COMMAND_NAMES].sort());
    for (const name of COMMAND_NAMES) {
      const [entry] = await redis.call('command', 'info', name) as (Entry | null)[];
      expect(entry?.[0]).toBe(name);
    }
  });

  it('INFO carries key specs: a range for key commands, keynum for EVAL, none for keyless ones', async () => {
    const [get, mset, evalInfo, ping] = await redis.call('command', 'info', 'get', 'mset', 'eval', 'ping') as Entry[];
    // RESP3 maps arrive from ioredis as flat arrays: [key, value, key, value, ...].
    expect(get![8]).toEqual([[
      'flags', ['RO', 'ACCESS'],
      'begin_search', ['type', 'index', 'spec', ['index', 1]],
      'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]],
    ]]);
    expect(mset![8]).toEqual([[
      'flags', ['OW', 'UPDATE'],
      'begin_search', ['type', 'index', 'spec', ['index', 1]],
      'find_keys', ['type', 'range', 'spec', ['lastkey', -1, 'keystep', 2, 'limit', 0]],
    ]]);
    expect(evalInfo!.slice(0, 6)).toEqual(['eval', -3, ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys'], 0, 0, 0]);
    expect(evalInfo![8]).toEqual([[
      'flags', ['RW', 'ACCESS'],
      'begin_search', ['type', 'index', 'spec', ['index', 2]],
      'find_keys', ['type', 'keynum', 'spec', ['keynumidx', 0, 'firstkey', 1, 'keystep', 1]],
    ]]);
    expect(ping![8]).toEqual([]);
  });

  it('DOCS gives summary, since and group for every command', async () => {
    const docs = await redis.call('command', 'docs') as unknown[];
    const names = docs.filter((_, i) => i % 2 === 0) as string[];
    expect(names.sort()).toEqual([...COMMAND_NAMES].sort());
    const evalDocs = await redis.call('command', 'docs', 'eval') as unknown[];
    expect(evalDocs).toEqual(['eval', ['summary', 'Execute a Lua script server side', 'since', '2.6.0', 'group', 'scripting']]);
  });
});
