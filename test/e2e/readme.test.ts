// The README's curl examples print what their comments say: each `curl …  # output`
// line of README.md is run against a fresh one-worker node, as a user would.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startNode, type RunningNode } from './spawn-node.js';

const hasCurl = ((): boolean => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** `curl … # expected` lines, in README order (state carries from one to the next, as in a shell). */
function curlExamples(): { command: string; expected: string }[] {
  const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
  const examples: { command: string; expected: string }[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('curl ')) continue;
    const inline = /^(curl .*?)\s+#\s(.*)$/.exec(line);
    if (inline) examples.push({ command: inline[1]!, expected: inline[2]! });
    else if (lines[i + 1]?.startsWith('# ')) examples.push({ command: line, expected: lines[i + 1]!.slice(2) });
  }
  return examples;
}

describe.skipIf(!hasCurl)('README examples', () => {
  let node: RunningNode;
  beforeAll(async () => { node = await startNode(['--workers', '1', '--no-pin', '--no-resp']); });
  afterAll(async () => { await node.stop(); });

  it('every curl example prints what the README says', () => {
    const examples = curlExamples();
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const { command, expected } of examples) {
      const run = command.replace(/localhost:7700/g, `127.0.0.1:${node.port}`);
      const out = execFileSync('sh', ['-c', `${run} -s`], { encoding: 'utf8', timeout: 10_000 });
      expect(out.trim(), command).toBe(expected.trim());
    }
  });
});
