// The glob matcher against a line-by-line model of Redis's recursive
// stringmatchlen() (util.c), on random patterns over the bytes that matter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Glob } from '../../core/resp/glob.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const match = (pattern: string, subject: string): boolean => new Glob(bytes(pattern)).matches(bytes(subject));

/**
 * Redis's stringmatchlen, transcribed: indexes instead of pointers, `p[i]`
 * past the end reads as 0 like C's terminator, chars compared unsigned.
 */
function redisMatch(p: Uint8Array, s: Uint8Array): boolean {
  const at = (b: Uint8Array, i: number): number => (i < b.length ? b[i]! : 0);
  const go = (pi: number, si: number): boolean => {
    let plen = p.length - pi;
    let slen = s.length - si;
    while (plen > 0 && slen > 0) {
      switch (at(p, pi)) {
        case 0x2a: { // *
          while (plen > 1 && at(p, pi + 1) === 0x2a) { pi++; plen--; }
          if (plen === 1) return true;
          while (slen > 0) {
            if (go(pi + 1, si)) return true;
            si++; slen--;
          }
          return false;
        }
        case 0x3f: // ?
          si++; slen--;
          break;
        case 0x5b: { // [
          pi++; plen--;
          const not = at(p, pi) === 0x5e;
          if (not) { pi++; plen--; }
          let matched = false;
          while (true) {
            if (at(p, pi) === 0x5c && plen >= 2) {
              pi++; plen--;
              if (at(p, pi) === at(s, si)) matched = true;
            } else if (at(p, pi) === 0x5d && plen > 0) {
              break;
            } else if (plen === 0) {
              pi--; plen++;
              break;
            } else if (plen >= 3 && at(p, pi + 1) === 0x2d) {
              let start = at(p, pi);
              let end = at(p, pi + 2);
              if (start > end) [start, end] = [end, start];
              pi += 2; plen -= 2;
              const c = at(s, si);
              if (c >= start && c <= end) matched = true;
            } else if (at(p, pi) === at(s, si)) {
              matched = true;
            }
            pi++; plen--;
          }
          if (not) matched = !matched;
          if (!matched) return false;
          si++; slen--;
          break;
        }
        case 0x5c: // backslash
          if (plen >= 2) { pi++; plen--; }
          if (at(p, pi) !== at(s, si)) return false;
          si++; slen--;
          break;
        default:
          if (at(p, pi) !== at(s, si)) return false;
          si++; slen--;
          break;
      }
      pi++; plen--;
      if (slen === 0) {
        while (plen > 0 && at(p, pi) === 0x2a) { pi++; plen--; }
        break;
      }
    }
    return plen === 0 && slen === 0;
  };
  return go(0, 0);
}

const patternBytes = fc.array(fc.constantFrom(...'ab*?[]^-\\z'.split('').map((c) => c.charCodeAt(0))), { maxLength: 9 });
// Non-empty: Piccolo keys never are, and Redis's matcher quirk (`**` misses "") is not worth copying.
const subjectBytes = fc.array(fc.constantFrom(...'ab-]z^\\'.split('').map((c) => c.charCodeAt(0))), { minLength: 1, maxLength: 8 });

describe('Glob', () => {
  it('matches like Redis on the documented forms', () => {
    expect(match('*', '')).toBe(true);
    expect(match('*', 'anything')).toBe(true);
    expect(match('h?llo', 'hello')).toBe(true);
    expect(match('h?llo', 'hllo')).toBe(false);
    expect(match('h*llo', 'heeeello')).toBe(true);
    expect(match('h[ae]llo', 'hallo')).toBe(true);
    expect(match('h[ae]llo', 'hillo')).toBe(false);
    expect(match('h[^e]llo', 'hallo')).toBe(true);
    expect(match('h[^e]llo', 'hello')).toBe(false);
    expect(match('h[a-b]llo', 'hbllo')).toBe(true);
    expect(match('h[b-a]llo', 'hbllo')).toBe(true); // reversed range
    expect(match('h\\*llo', 'h*llo')).toBe(true);
    expect(match('h\\*llo', 'hello')).toBe(false);
    expect(match('[\\]]', ']')).toBe(true);
    expect(match('a\\', 'a\\')).toBe(true); // a trailing backslash is itself
    expect(match('[abc', 'b')).toBe(true); // an open class runs to the end
    expect(match('user:*:name', 'user:42:name')).toBe(true);
    expect(match('user:*:name', 'user:42:names')).toBe(false);
    expect(match('', '')).toBe(true);
    expect(match('', 'a')).toBe(false);
  });

  it('agrees with the transcribed Redis matcher on random patterns and subjects', () => {
    fc.assert(fc.property(patternBytes, subjectBytes, (p, s) => {
      const pattern = Uint8Array.from(p);
      const subject = Uint8Array.from(s);
      expect(new Glob(pattern).matches(subject)).toBe(redisMatch(pattern, subject));
    }), { numRuns: 20_000 });
  });

  it('every match starts with the literal prefix (so a prefix scan finds every match)', () => {
    fc.assert(fc.property(patternBytes, subjectBytes, (p, s) => {
      const glob = new Glob(Uint8Array.from(p));
      const subject = Uint8Array.from(s);
      if (!glob.matches(subject)) return;
      const prefix = glob.literalPrefix;
      expect(Buffer.from(subject.subarray(0, prefix.length))).toEqual(Buffer.from(prefix));
    }), { numRuns: 20_000 });
  });

  it('literal prefix stops at the first wildcard and unescapes', () => {
    expect(Buffer.from(new Glob(bytes('user:*')).literalPrefix).toString()).toBe('user:');
    expect(Buffer.from(new Glob(bytes('a\\*b?c')).literalPrefix).toString()).toBe('a*b');
    expect(new Glob(bytes('[ab]c')).literalPrefix.length).toBe(0);
    expect(new Glob(bytes('**')).matchesAll).toBe(true);
    expect(new Glob(bytes('*a')).matchesAll).toBe(false);
  });

  it('is not exponential on patterns that are for a backtracking matcher', () => {
    const pattern = bytes(`${'*a'.repeat(30)}b`);
    const subject = bytes('a'.repeat(5000));
    const started = performance.now();
    expect(new Glob(pattern).matches(subject)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
