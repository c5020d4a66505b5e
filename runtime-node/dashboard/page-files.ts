// The dashboard page's static files (runtime-node/dashboard/page/: plain
// HTML, one ES module, one style sheet; no build step), read once when the
// node starts and served from memory with their content type, an ETag, and
// headers that keep the page to its own origin (dashboard-routes.ts).
// package.json "files" ships the page directory beside dist/.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PageFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** URL path under /dashboard -> file name in the page directory. */
export const PAGE_FILES: Readonly<Record<string, { file: string; contentType: string }>> = {
  '': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  'dashboard.js': { file: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
};

/**
 * Where the page directory is: beside this module when run from source
 * (tests in-process), or the package's runtime-node/dashboard/page/ when run
 * from dist/runtime-node/dashboard/ (the CLI, an installed package).
 */
function pageDirectory(): string {
  const candidates = [new URL('./page/', import.meta.url), new URL('../../../runtime-node/dashboard/page/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(`dashboard page not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

/** Every page file, read now. */
export function loadPageFiles(): Map<string, PageFile> {
  const dir = pageDirectory();
  const files = new Map<string, PageFile>();
  for (const [path, { file, contentType }] of Object.entries(PAGE_FILES)) {
    const body = readFileSync(`${dir}${file}`);
    files.set(path, { body, contentType, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });
  }
  return files;
}
