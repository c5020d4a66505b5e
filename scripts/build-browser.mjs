// Builds the browser bundle of the client: one ES module at
// dist/browser/piccolo.js (+ .map), `import { connect } from
// '.../piccolo.js'` in a page. Run by `npm run build` after tsc.
//
// The client uses the browser's own WebSocket; its fallback to the `ws`
// package (for Node 20, which has none) is a dynamic import, replaced here by
// a stub that only explains itself, so no Node code reaches the bundle.

import { build } from 'esbuild';
import { fileURLToPath, URL } from 'node:url';
import process from 'node:process';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BROWSER_BUNDLE = 'dist/browser/piccolo.js';
/**
 * The language level of the bundle: the same as tsc's (tsconfig.json), so the
 * browser runs the code the tests run. Every current browser has it (Chrome
 * and Edge 94+, Firefox 93+, Safari 16.4+); esbuild cannot lower some of the
 * client's destructuring for older ones anyway.
 */
const BROWSER_TARGET = 'es2022';

/** Replaces `import('ws')` with a module that rejects with a clear message. */
const wsStub = {
  name: 'piccolo-ws-stub',
  setup(b) {
    b.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'piccolo-ws-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'piccolo-ws-stub' }, () => ({
      contents: "throw new Error('piccolo browser build: no global WebSocket here; pass connect(url, { WebSocket })');",
      loader: 'js',
    }));
  },
};

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ['client/index.ts'],
  outfile: BROWSER_BUNDLE,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: BROWSER_TARGET,
  sourcemap: true,
  // The sources are not shipped; the map carries them so browser devtools show the TypeScript.
  sourcesContent: true,
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  plugins: [wsStub],
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
process.stdout.write(`browser bundle: ${BROWSER_BUNDLE} (${Math.round(bytes / 1024)} KiB with its map)\n`);
