// A generated section of a docs file, between begin/end markers: replaced in
// place on each run, or added under its heading (or at the end) the first
// time. Each side-by-side benchmark owns one such section of docs/benchmarks.md.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface DocSection {
  /** `## ...`: where a section without markers yet goes. */
  readonly heading: string;
  readonly beginMarker: string;
  readonly endMarker: string;
}

/** Put `body` (which starts with the begin marker and ends with the end marker) in place of the section. */
export function replaceDocSection(path: string, where: DocSection, body: string): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const begin = text.indexOf(where.beginMarker);
  const end = text.indexOf(where.endMarker);
  let next: string;
  if (begin >= 0 && end > begin) {
    next = text.slice(0, begin) + body + text.slice(end + where.endMarker.length);
  } else {
    const heading = text.indexOf(`${where.heading}\n`);
    if (heading >= 0) {
      const bodyStart = heading + where.heading.length + 1;
      const following = text.indexOf('\n## ', bodyStart);
      const bodyEnd = following >= 0 ? following + 1 : text.length;
      next = `${text.slice(0, bodyStart)}\n${body}\n${following >= 0 ? '\n' : ''}${text.slice(bodyEnd)}`;
    } else {
      next = `${text.trimEnd()}\n\n${where.heading}\n\n${body}\n`;
    }
  }
  writeFileSync(path, next);
}

/** A section's body for replaceDocSection: its markers around `paragraphs`, a blank line between each. */
export function sectionBody(where: DocSection, paragraphs: readonly string[]): string {
  return [where.beginMarker, ...paragraphs, where.endMarker].join('\n\n');
}
