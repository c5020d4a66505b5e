// Small JSON files a cluster node keeps in its data directory (leader
// preferences, the membership record): read if present, written whole
// through a temporary file and a rename, so a crash leaves the old file or
// the new one, never half of one.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parsed file `name` in `dir`, or null when there is none (or no directory: --in-memory). */
export function readJsonFile(dir: string | null, name: string): unknown {
  if (dir === null) return null;
  const path = join(dir, name);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as unknown : null;
}

/** Replace file `name` in `dir` with `value` (nothing without a directory; a directory not made yet is made). */
export function writeJsonFile(dir: string | null, name: string, value: unknown): void {
  if (dir === null) return;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
