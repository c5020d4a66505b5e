// A prefix watch that names its groups (`groups` in the watch frame), what a
// merging gateway asks of each node (docs/watch.md, "Merging"), against a
// real lone node of two workers (groups 0 and 1): it gets the changes of
// those groups only, each once and in order, its tokens cover those groups
// only and resume; bad group lists are refused with a clear error.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResumeToken, type ResumeToken } from '../../core/watch/resume-token.js';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { FrameClient, startWatchNode, type Json } from './ws-watch-node.js';

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

async function watch(client: FrameClient, id: number, fields: Json): Promise<Json> {
  client.send({ id, op: 'watch', ...fields });
  return client.take((f) => f.id === id && 'ok' in f, `watch ${id}'s answer`);
}

describe('a prefix watch of named groups', () => {
  it('gets exactly its groups\' changes, with tokens of those groups that resume', async () => {
    const watcher = await FrameClient.open(node.port);
    const writer = await FrameClient.open(node.port);
    const all = await watch(watcher, 1, { prefix: 'g:' });
    const one = await watch(watcher, 2, { prefix: 'g:', groups: [1] });
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
    const again = await FrameClient.open(node.port);
    expect(await watch(again, 3, { prefix: 'g:', groups: [1], after: got[1]!.resume })).toMatchObject({ ok: true, resume: got[1]!.resume });
    expect((await again.changes(3, got.length - 2)).map((c) => c.key)).toEqual(got.slice(2).map((c) => c.key));
    await writer.request({ op: 'set', key: 'g:last', value: 'x' });
    const last = await watcher.take((f) => f.id === 1 && 'change' in f);
    if (groupsOf(everything.at(-1)!.resume as string, [last.change as Json])[0] === 0) {
      await new Promise((r) => setTimeout(r, 200));
      expect(again.frames.filter((f) => 'change' in f)).toEqual([]);
    }
    // A token of group 1 only cannot resume a watch of both.
    expect(await watch(again, 4, { prefix: 'g:', after: got[1]!.resume })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    for (const c of [watcher, writer, again]) c.close();
  });

  it('refuses a group the node does not have, an empty or repeated list, and groups on a key watch', async () => {
    const client = await FrameClient.open(node.port);
    const cases: [Json, RegExp][] = [
      [{ prefix: 'g:', groups: [7] }, /no group 7/],
      [{ prefix: 'g:', groups: [] }, /groups must be a list of distinct group numbers/],
      [{ prefix: 'g:', groups: [1, 1] }, /distinct/],
      [{ prefix: 'g:', groups: ['0'] }, /groups must be/],
      [{ key: 'g:1', groups: [0] }, /groups is for a prefix watch/],
    ];
    let id = 10;
    for (const [fields, message] of cases) {
      expect(await watch(client, id++, fields)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(message) } });
    }
    // Still serving.
    expect(await watch(client, id, { prefix: 'g:', groups: [0] })).toMatchObject({ ok: true });
    client.close();
  });
});
