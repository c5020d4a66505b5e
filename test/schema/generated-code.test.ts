import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import * as wire from '../../schema/generated/piccolo.capnp.js';
import { RequestTag } from './capnp-raw.js';

const root = join(import.meta.dirname, '../..');

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Regenerating needs the capnp compiler and the pinned generator (installed
// by generate.sh into .tools/capnpc); without them the check is skipped.
const canRegenerate = commandExists('capnp') && existsSync(join(root, '.tools/capnpc/node_modules/capnpc-ts/package.json'));

test.skipIf(!canRegenerate)('schema/generated/ is what generate.sh makes from the current schema', () => {
  const out = mkdtempSync(join(tmpdir(), 'piccolo-schema-'));
  try {
    execFileSync('sh', [join(root, 'schema/generate.sh'), out], { stdio: 'pipe' });
    const committed = join(root, 'schema/generated');
    expect(readdirSync(out).sort()).toEqual(readdirSync(committed).sort());
    for (const name of readdirSync(out)) {
      expect(readFileSync(join(out, name), 'utf8'), `${name} is stale: run npm run schema`).toBe(readFileSync(join(committed, name), 'utf8'));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the hand-built test frames use the schema\'s union tags', () => {
  expect(RequestTag).toEqual({
    GET: wire.Request_Which.GET, SET: wire.Request_Which.SET, MGET: wire.Request_Which.MGET, MSET: wire.Request_Which.MSET, TX: wire.Request_Which.TX,
  });
});
