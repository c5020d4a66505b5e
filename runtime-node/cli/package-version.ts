// `piccolo --version`: the version in the package.json this CLI ships in.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directories to climb from this module to the package root (dist/runtime-node/cli is 3 deep). */
const PACKAGE_ROOT_DEPTH_MAX = 4;

/**
 * The version of the `piccolo` package. This file runs from
 * dist/runtime-node/cli/ when installed and from runtime-node/cli/ under the
 * tests, so it climbs to the nearest package.json named "piccolo".
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i <= PACKAGE_ROOT_DEPTH_MAX; i++) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === 'piccolo' && typeof manifest.version === 'string') return manifest.version;
    dir = dirname(dir);
  }
  throw new Error('piccolo: cannot find the package.json of piccolo above the CLI');
}

function readManifest(path: string): { name?: unknown; version?: unknown } | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return null; // not there (or not JSON): keep climbing
  }
}
