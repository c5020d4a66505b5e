// The client as a package: `import { connect } from 'piccolo'` resolves to
// the compiled client, and nothing the client loads needs Node, so it can be
// bundled for browsers (the `ws` fallback is a dynamic import a bundler drops).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Static imports and re-exports: `import ... from 'x'`, `export ... from 'x'`, `import 'x'`. */
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module the client's entry point loads statically, and every bare specifier on the way. */
function staticGraph(entry: string): { files: string[]; packages: Map<string, string>; dynamic: Map<string, string> } {
  const files: string[] = [];
  const packages = new Map<string, string>();
  const dynamic = new Map<string, string>();
  const queue = [entry];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const file = queue.shift()!;
    files.push(relative(ROOT, file));
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(STATIC_IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!seen.has(target)) { seen.add(target); queue.push(target); }
      } else {
        packages.set(spec, relative(ROOT, file));
      }
    }
    for (const m of source.matchAll(DYNAMIC_IMPORT)) dynamic.set(m[1]!, relative(ROOT, file));
  }
  return { files, packages, dynamic };
}

describe('client package', () => {
  it('loads nothing from Node statically; ws only dynamically', () => {
    const { files, packages, dynamic } = staticGraph(join(ROOT, 'client/index.ts'));
    expect(files).toContain('client/connection.ts');
    expect(files).toContain('schema/binary-codec.ts');
    const bare = [...packages.keys()];
    for (const spec of bare) {
      expect(spec.startsWith('node:'), `${spec} imported by ${packages.get(spec)}`).toBe(false);
    }
    // The codec is our own (schema/fast-capnp); capnp-ts serves tests only, so it is a devDependency.
    expect(bare, bare.join(', ')).toEqual([]);
    expect([...dynamic.keys()]).toEqual(['ws']);
    expect(dynamic.get('ws')).toBe('client/web-socket.ts');
  });

  it("resolves `import { connect } from 'piccolo'` to the compiled client", () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      "import * as p from 'piccolo'; console.log(typeof p.connect, typeof p.PiccoloError, typeof p.PiccoloClient);"],
    { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('function function function');
  });
});
