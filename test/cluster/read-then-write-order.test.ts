// Pipeline order on a replicated leader: a GET pipelined before a SET of the
// same key must read the value from before the SET, as in Redis (the
// get-and-reset idiom: `GET counter` then `SET counter 0`). Other clients'
// reads keep ReadIndex rounds in flight, so the GET's round is often not the
// first one out, the case where its confirmation can come after the SET has
// committed. Real processes on loopback; needs `npm run build`.

import { Cluster } from 'ioredis';
import { expect, it } from 'vitest';
import { clusterWithIoredis } from './ioredis-cluster-fixture.js';
import { ownerOf } from './ioredis-owner.js';

const PIPELINES = 400;
const BACKGROUND_READERS = 8;

const fixture = clusterWithIoredis(['--groups', '2', '--workers', '1']);

it('a GET pipelined before a SET of its key reads the value from before the SET, with other reads in flight', async () => {
  const client = fixture.client(0);
  const key = '{order}k';
  await client.set(key, 'v0');
  let stop = false;
  const readers = Array.from({ length: BACKGROUND_READERS }, async (_, i) => {
    const reader = new Cluster([{ host: '127.0.0.1', port: fixture.cluster.nodes[0]!.node.respPort! }]);
    try {
      while (!stop) await reader.get(`{order}bg${i}`);
    } finally {
      reader.disconnect();
    }
  });
  const wrong: string[] = [];
  const refused: string[] = [];
  let owner = ownerOf(client, key);
  let before = 'v0';
  let conclusive = 0;
  try {
    for (let i = 1; i <= PIPELINES; i++) {
      const [[getError, read], [setError]] = (await owner.pipeline().get(key).set(key, `v${i}`).exec())! as [[Error | null, string], [Error | null]];
      if (getError !== null || setError !== null) {
        // The group's leader moved (an election on a loaded machine): find it again, and what the key holds now.
        refused.push(`pipeline ${i}: ${String(getError ?? setError)}`);
        before = (await client.get(key))!;
        owner = ownerOf(client, key);
        continue;
      }
      conclusive++;
      if (read !== before) wrong.push(`pipeline ${i}: GET read ${read}, the value before its SET was ${before}`);
      before = `v${i}`;
    }
  } finally {
    stop = true;
    await Promise.all(readers);
  }
  expect(conclusive, `too few pipelines went through: ${refused.slice(0, 3).join('; ')}`).toBeGreaterThanOrEqual(PIPELINES / 2);
  expect(wrong).toEqual([]);
});
