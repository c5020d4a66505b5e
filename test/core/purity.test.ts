// core/ must stay pure: it runs unchanged under the deterministic simulator,
// so time, randomness, timers, the process and I/O are inputs, never reached
// for. ESLint enforces this; this test is a second line that reads the source
// itself (comments and string contents are ignored, so prose may mention them).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = resolve(dirname(fileURLToPath(import.meta.url)), '../../core');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.isFile() && e.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Split TypeScript source into code without comments (`withStrings`) and code
 * without comments or string/template/regex contents (`codeOnly`); template
 * `${...}` expressions stay code. Lengths are preserved so offsets map to lines.
 */
function scrubSource(src: string): { withStrings: string; codeOnly: string } {
  let withStrings = '';
  let codeOnly = '';
  const emit = (c: string, keepInStrings: boolean, keepInCode: boolean): void => {
    const blank = c === '\n' ? '\n' : ' ';
    withStrings += keepInStrings ? c : blank;
    codeOnly += keepInCode ? c : blank;
  };
  /** Brace depths at which an enclosing template literal resumes. */
  const templateStack: number[] = [];
  let depth = 0;
  let lastSignificant = '';
  let i = 0;
  const n = src.length;
  const regexCanStart = (): boolean => lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant);
  const readString = (quote: string): void => {
    emit(src[i]!, true, true);
    i++;
    while (i < n && src[i] !== quote) {
      if (src[i] === '\\') { emit(src[i]!, true, false); i++; }
      if (i < n) { emit(src[i]!, true, false); i++; }
    }
    if (i < n) { emit(src[i]!, true, true); i++; }
  };
  const readTemplate = (): void => {
    // At a backtick or a '}' closing a ${...}: copy literal text until ` or ${.
    emit(src[i]!, true, true);
    i++;
    while (i < n) {
      const c = src[i]!;
      if (c === '\\') { emit(c, true, false); i++; if (i < n) { emit(src[i]!, true, false); i++; } continue; }
      if (c === '`') { emit(c, true, true); i++; return; }
      if (c === '$' && src[i + 1] === '{') {
        emit('$', true, true); emit('{', true, true);
        i += 2;
        templateStack.push(depth);
        depth++;
        lastSignificant = '{';
        return;
      }
      emit(c, true, false);
      i++;
    }
  };
  while (i < n) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && src[i] !== '\n') { emit(src[i]!, false, false); i++; }
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      while (i < stop) { emit(src[i]!, false, false); i++; }
    } else if (c === '\'' || c === '"') {
      readString(c);
      lastSignificant = 'x';
    } else if (c === '`') {
      readTemplate();
      lastSignificant = 'x';
    } else if (c === '/' && regexCanStart()) {
      emit(c, true, true);
      i++;
      let inClass = false;
      while (i < n && (src[i] !== '/' || inClass) && src[i] !== '\n') {
        if (src[i] === '\\') { emit(src[i]!, true, false); i++; }
        else if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        if (i < n) { emit(src[i]!, true, false); i++; }
      }
      if (i < n) { emit(src[i]!, true, true); i++; }
      lastSignificant = 'x';
    } else if (c === '}' && templateStack.length > 0 && templateStack[templateStack.length - 1] === depth - 1) {
      templateStack.pop();
      depth--;
      readTemplate();
      lastSignificant = 'x';
    } else {
      if (c === '{') depth++;
      if (c === '}') depth--;
      emit(c, true, true);
      if (!/\s/.test(c)) lastSignificant = /[\w$)\]]/.test(c) ? 'x' : c;
      i++;
    }
  }
  return { withStrings, codeOnly };
}

const FORBIDDEN: [RegExp, string][] = [
  [/(?<![\w$.])Date\b/, 'Date (time is an input)'],
  [/(?<![\w$.])Math\s*\.\s*random\b/, 'Math.random (randomness is an injected seeded PRNG)'],
  [/(?<![\w$.])(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\b/, 'timers (return a deadline instead)'],
  [/(?<![\w$.])process\s*\./, 'process (no process access)'],
  [/(?<![\w$.])(performance|console|fetch|require)\b/, 'performance/console/fetch/require'],
  [/(?<![\w$.])Atomics\s*\.\s*(wait|waitAsync)\b/, 'Atomics.wait (core never blocks)'],
  [/(?<![\w$.])globalThis\b/, 'globalThis (reaching for ambient state)'],
];

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

describe('core/ purity', () => {
  const files = tsFiles(CORE);

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => f.endsWith(`${sep}shard${sep}shard.ts`))).toBe(true);
  });

  it('imports only modules inside core/, never node:* or packages', () => {
    const problems: string[] = [];
    for (const file of files) {
      const { withStrings } = scrubSource(readFileSync(file, 'utf8'));
      const specifiers = [
        ...withStrings.matchAll(/\b(?:import|export)\b[^;]*?\bfrom\s*(['"])([^'"]*)\1/g),
        ...withStrings.matchAll(/\bimport\s*(['"])([^'"]*)\1/g),
        ...withStrings.matchAll(/\bimport\s*\(\s*(['"])([^'"]*)\1/g),
      ].map((m) => m[2]!);
      for (const spec of specifiers) {
        const where = `${relative(CORE, file)}: import '${spec}'`;
        if (!spec.startsWith('./') && !spec.startsWith('../')) problems.push(`${where} is not a relative import inside core/`);
        else if (relative(CORE, resolve(dirname(file), spec)).startsWith('..')) problems.push(`${where} leaves core/`);
        else if (!spec.endsWith('.js')) problems.push(`${where} must end in .js (NodeNext)`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses no clock, randomness, timers, process, console or blocking', () => {
    const problems: string[] = [];
    for (const file of files) {
      const src = readFileSync(file, 'utf8');
      const { codeOnly } = scrubSource(src);
      for (const [pattern, what] of FORBIDDEN) {
        const g = new RegExp(pattern.source, 'g');
        for (const m of codeOnly.matchAll(g)) {
          problems.push(`${relative(CORE, file)}:${lineOf(codeOnly, m.index)}: ${what}: ${src.split('\n')[lineOf(codeOnly, m.index) - 1]!.trim()}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the scrubber ignores comments and strings but sees code, including inside templates', () => {
    const sample = [
      '// Date.now() in a comment',
      '/* setTimeout( */ const a = "process.env"; const r = /\\/Date/;',
      'const t = `Date ${ Math.random() } setTimeout`;',
      'const o = x.Date + y.process.z;',
      'const d = 4 / 2; Date.now();',
    ].join('\n');
    const { codeOnly } = scrubSource(sample);
    const hits = FORBIDDEN.flatMap(([p, what]) => [...codeOnly.matchAll(new RegExp(p.source, 'g'))].map((m) => `${lineOf(codeOnly, m.index)} ${what}`));
    expect(hits.sort()).toEqual(['3 Math.random (randomness is an injected seeded PRNG)', '5 Date (time is an input)']);
    expect(codeOnly.length).toBe(sample.length);
  });
});
