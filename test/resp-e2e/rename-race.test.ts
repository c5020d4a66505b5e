// RENAME's documented behaviour when someone else writes the source while it
// runs, which a real node cannot be made to show on demand: the command runs
// against a real Shard, and a "concurrent writer" acts between its steps.
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { executeEach } from '../../core/node/dispatcher.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import { LocalShard } from '../core/local-shard.js';
import { SettingsRegistry } from '../../runtime-node/config/settings-registry.js';
import type { CommandOutcome, RespNode, RespSession } from '../../runtime-node/io/resp-command-context.js';
import { RENAME_RACE_ERROR, runRename } from '../../runtime-node/io/resp-keyspace-commands.js';
import { PasswordGate } from '../../runtime-node/security/password-gate.js';

const limits = makeLimits();
const key = (s: string): Uint8Array => Buffer.from(s);
const NOW_MS = 1_700_000_000_000;

/** A node of one shard; `beforeEach(request)` runs just before each request reaches the shard. */
function nodeWith(shard: LocalShard, beforeEach: (request: Request) => void): RespNode {
  return {
    limits,
    passwordGate: new PasswordGate(null),
    shardCount: 1,
    stats: {
      connectionsReceived: 0, connectionsRejected: 0, commandsProcessed: 0, opsPerSecond: 0, authFailures: 0,
      expiringKeys: 0, storeBytes: 0, expiredKeys: 0, commandProcessed: () => {}, reset: () => {},
    },
    settings: new SettingsRegistry(),
    facts: { version: 'test', startedAtMs: 0, host: '127.0.0.1', respPort: 0, httpPort: 0, workers: 1, storage: null, connectedClients: () => 0 },
    execute(request: Request, onReply: (reply: Reply) => void): void {
      // Asynchronous, like a real shard behind a ring.
      queueMicrotask(() => {
        beforeEach(request);
        onReply(shard.handle(request, NOW_MS));
      });
    },
    executeParts(requests: readonly Request[], onReply: (index: number, reply: Reply) => void): void {
      executeEach(this, requests, onReply);
    },
    sessions: () => [],
  };
}

function rename(node: RespNode, from: string, to: string): Promise<RespValue> {
  const session = {} as RespSession;
  return new Promise((resolve) => runRename({
    name: 'rename', args: [key(from), key(to)], session, node, nowMs: NOW_MS,
    done: (outcome: CommandOutcome) => resolve(outcome.value),
  }));
}

const valueOf = (shard: LocalShard, k: string): string | null => {
  const r = shard.handle({ op: 'get', key: key(k) }, NOW_MS);
  return r.ok && r.found ? Buffer.from(r.value!).toString() : null;
};

describe('RENAME against a concurrent writer', () => {
  it('without interference: destination gets value and TTL, source is gone', async () => {
    const shard = new LocalShard(0, limits);
    shard.handle({ op: 'set', key: key('src'), value: key('v'), ttlMs: 60_000 }, NOW_MS);
    expect(await rename(nodeWith(shard, () => {}), 'src', 'dst')).toEqual({ type: 'simple', text: 'OK' });
    expect(valueOf(shard, 'src')).toBeNull();
    expect(valueOf(shard, 'dst')).toBe('v');
    const ttl = shard.handle({ op: 'ttl', key: key('dst') }, NOW_MS);
    expect(ttl.ok && ttl.integer).toBe(60_000n);
  });

  it('a write to the source before the delete: error, destination has the old value, source the new one', async () => {
    const shard = new LocalShard(0, limits);
    shard.handle({ op: 'set', key: key('src'), value: key('old') }, NOW_MS);
    const node = nodeWith(shard, (request) => {
      if (request.op === 'del') shard.handle({ op: 'set', key: key('src'), value: key('new') }, NOW_MS);
    });
    expect(await rename(node, 'src', 'dst')).toEqual({ type: 'error', text: RENAME_RACE_ERROR });
    expect(valueOf(shard, 'dst')).toBe('old');
    expect(valueOf(shard, 'src')).toBe('new');
  });

  it('the source deleted before the delete: OK (a rename, then that delete)', async () => {
    const shard = new LocalShard(0, limits);
    shard.handle({ op: 'set', key: key('src'), value: key('v') }, NOW_MS);
    const node = nodeWith(shard, (request) => {
      if (request.op === 'del') shard.handle({ op: 'del', key: key('src') }, NOW_MS);
    });
    expect(await rename(node, 'src', 'dst')).toEqual({ type: 'simple', text: 'OK' });
    expect(valueOf(shard, 'dst')).toBe('v');
    expect(valueOf(shard, 'src')).toBeNull();
  });

  it('between the write and the delete, a reader sees both keys holding the value', async () => {
    const shard = new LocalShard(0, limits);
    shard.handle({ op: 'set', key: key('src'), value: key('v') }, NOW_MS);
    const seen: (string | null)[][] = [];
    const node = nodeWith(shard, () => seen.push([valueOf(shard, 'src'), valueOf(shard, 'dst')]));
    await rename(node, 'src', 'dst');
    // Before each step: never neither key.
    expect(seen.every(([s, d]) => s === 'v' || d === 'v')).toBe(true);
    expect(seen).toContainEqual(['v', 'v']);
  });
});
