// A prefix watch that names its groups (`groups` in the watch frame), what a
// merging gateway asks of each node (docs/watch.md, "Merging"), against a
// real lone node of two workers (groups 0 and 1), in JSON frames and in Cap'n
// Proto frames (WatchRequest.groups): it gets the changes of those groups
// only, each once and in order, its tokens cover those groups only and
// resume; bad group lists are refused with a clear error.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResumeToken, type ResumeToken } from '../../core/watch/resume-token.js';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { encodeWatchRequest, type WatchResponse } from '../../schema/binary-watch.js';
import { BinaryFrames } from './binary-watch-frames.js';
import { FrameClient, startWatchNode, type Json } from './ws-watch-node.js';

/** A watching connection in one format, its answers and changes shaped as JSON frames' (`{ok, resume}`, `{key, version, resume}`). */
interface Watcher {
  watch(id: number, fields: Json): Promise<Json>;
  changes(id: number, n: number): Promise<Json[]>;
  /** Changes received and not yet taken. */
  changesHeld(): number;
  close(): void;
}

async function jsonWatcher(port: number): Promise<Watcher> {
  const client = await FrameClient.open(port);
  return {
    async watch(id, fields) {
      client.send({ id, op: 'watch', ...fields });
      return client.take((f) => f.id === id && 'ok' in f, `watch ${id}'s answer`);
    },
    changes: (id, n) => client.changes(id, n),
    changesHeld: () => client.frames.filter((f) => 'change' in f).length,
    close: () => client.close(),
  };
}

async function binaryWatcher(port: number): Promise<Watcher> {
  const client = await BinaryFrames.open(port);
  const utf8 = (s: unknown): Uint8Array => new TextEncoder().encode(s as string);
  return {
    async watch(id, fields) {
      const match = fields.key !== undefined ? 'key' : 'prefix';
      client.ws.send(encodeWatchRequest(BigInt(id), {
        match, bytes: utf8(fields[match]), after: (fields.after as string | undefined) ?? null,
        ...(fields.groups !== undefined ? { groups: fields.groups as number[] } : {}),
      }));
      const answer = await client.answer(BigInt(id)) as WatchResponse;
      if (answer.kind === 'live') return { ok: true, resume: answer.resume };
      if (answer.kind === 'reply' && !answer.reply.ok) return { ok: false, error: { code: answer.reply.code, message: answer.reply.message } };
      throw new Error(`watch ${id} answered ${JSON.stringify(answer)}`);
    },
    async changes(id, n) {
      const out: Json[] = [];
      for (let i = 0; i < n; i++) {
        const frame = await client.change(BigInt(id));
        if (frame.kind !== 'change') throw new Error('not a change');
        out.push({ key: new TextDecoder().decode(frame.change.key), version: frame.change.version, resume: frame.resume });
      }
      return out;
    },
    changesHeld: () => client.frames.filter((f) => f.kind === 'change').length,
    close: () => client.close(),
  };
}

const FORMATS = [['JSON', jsonWatcher], ['Cap\'n Proto', binaryWatcher]] as const;

const WRITES = 24;

let node: PiccoloServer;
beforeAll(async () => { node = await startWatchNode(); });
afterAll(async () => { await node?.close(); });

function tokenOf(text: string): ResumeToken {
  const token = decodeResumeToken(text);
  if (token === null || token === 'old') throw new Error(`not a token: ${text}`);
  return token;
}

/** The group each change was made in: the one whose position its token moved from the token before (`start`: the watch's). */
function groupsOf(start: string, changes: Json[]): number[] {
  let before = tokenOf(start).positions;
  return changes.map((change) => {
    const now = tokenOf(change.resume as string).positions;
    const moved = [...now].filter(([g, at]) => before.get(g)?.index !== at.index || before.get(g)?.seq !== at.seq).map(([g]) => g);
    expect(moved).toHaveLength(1);
    before = now;
    return moved[0]!;
  });
}

describe.each(FORMATS)('a prefix watch of named groups, in %s frames', (_format, openWatcher) => {
  it('gets exactly its groups\' changes, with tokens of those groups that resume', async () => {
    const watcher = await openWatcher(node.port);
    const writer = await FrameClient.open(node.port);
    const all = await watcher.watch(1, { prefix: 'g:' });
    const one = await watcher.watch(2, { prefix: 'g:', groups: [1] });
    expect([...tokenOf(all.resume as string).positions.keys()].sort()).toEqual([0, 1]);
    expect([...tokenOf(one.resume as string).positions.keys()]).toEqual([1]);
    for (let i = 0; i < WRITES; i++) expect((await writer.request({ op: 'set', key: `g:${i}`, value: `${i}` })).ok).toBe(true);
    const everything = await watcher.changes(1, WRITES);
    const groups = groupsOf(all.resume as string, everything);
    const ofOne = everything.filter((_, i) => groups[i] === 1);
    expect(ofOne.length).toBeGreaterThan(0);
    expect(ofOne.length).toBeLessThan(WRITES); // both groups got some: the test can tell them apart
    const got = await watcher.changes(2, ofOne.length);
    expect(got.map((c) => [c.key, c.version])).toEqual(ofOne.map((c) => [c.key, c.version]));
    for (const c of got) expect([...tokenOf(c.resume as string).positions.keys()]).toEqual([1]);

    // Resumed after its second change: the rest of group 1, nothing of group 0.
    const again = await openWatcher(node.port);
    expect(await again.watch(3, { prefix: 'g:', groups: [1], after: got[1]!.resume })).toMatchObject({ ok: true, resume: got[1]!.resume });
    expect((await again.changes(3, got.length - 2)).map((c) => c.key)).toEqual(got.slice(2).map((c) => c.key));
    await writer.request({ op: 'set', key: 'g:last', value: 'x' });
    const [last] = await watcher.changes(1, 1);
    if (groupsOf(everything.at(-1)!.resume as string, [last!])[0] === 0) {
      await new Promise((r) => setTimeout(r, 200));
      expect(again.changesHeld()).toBe(0);
    }
    // A token of group 1 only cannot resume a watch of both.
    expect(await again.watch(4, { prefix: 'g:', after: got[1]!.resume })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    watcher.close();
    writer.close();
    again.close();
  });

  it('refuses a group the node does not have, an empty or repeated list, and groups on a key watch', async () => {
    const client = await openWatcher(node.port);
    const cases: [Json, RegExp][] = [
      [{ prefix: 'g:', groups: [7] }, /no group 7/],
      [{ prefix: 'g:', groups: [0, 1, 2] }, /no group 2/], // longer than the node's group count
      [{ prefix: 'g:', groups: [] }, /groups must be a list of distinct group numbers/],
      [{ prefix: 'g:', groups: [1, 1] }, /distinct/],
      [{ key: 'g:1', groups: [0] }, /groups is for a prefix watch/],
    ];
    let id = 10;
    for (const [fields, message] of cases) {
      expect(await client.watch(id++, fields)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(message) } });
    }
    // Still serving.
    expect(await client.watch(id, { prefix: 'g:', groups: [0] })).toMatchObject({ ok: true });
    client.close();
  });
});

it('refuses groups that are not numbers (JSON)', async () => {
  const client = await jsonWatcher(node.port);
  expect(await client.watch(30, { prefix: 'g:', groups: ['0'] })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/groups must be/) } });
  client.close();
});
