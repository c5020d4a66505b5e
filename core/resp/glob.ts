// Redis glob patterns (KEYS, SCAN MATCH, CONFIG GET), over bytes, with the
// rules of Redis's stringmatchlen():
// - `*` any run of bytes (also none), `?` exactly one byte;
// - `[abc]`, `[a-z]` (a reversed range `[z-a]` is the same range), `[^...]`
//   negated; inside brackets `\x` is the byte x; `]` right after `[` or `[^`
//   closes an empty class (which matches nothing, or anything when negated); a
//   class left open runs to the end of the pattern;
// - `\x` outside brackets is the byte x; a `\` that ends the pattern is itself.
// Differences, both unreachable with Redis's own data or Piccolo keys: bytes
// >= 0x80 in ranges compare unsigned (Redis compares C chars, signed on x86);
// a pattern of stars matches the empty string (Redis's `**` does not, though
// its `*` does; Piccolo keys are never empty).
//
// Cost: the pattern is compiled once into tokens; matching is the classic
// greedy algorithm that backtracks only to the last `*`, so O(pattern x subject)
// in the worst case, never exponential (Redis's recursive matcher can be).

/**
 * Longest pattern a server compiles. Patterns are written by people, and real
 * ones are far shorter; the bound keeps both the compiled form (up to 256
 * bytes per `[`) and the per-key match cost (pattern x key bytes) small.
 * Redis has no bound; longer patterns get an error here.
 */
export const GLOB_PATTERN_BYTES_MAX = 1024;

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'byte'; byte: number }
  /** `member[b]` is 1 when the class matches byte b (negation already applied). */
  | { kind: 'class'; member: Uint8Array };

export class Glob {
  private readonly tokens: readonly Token[];
  /** Bytes every match starts with: the pattern up to its first `*`, `?` or `[`, unescaped. */
  readonly literalPrefix: Uint8Array;
  /** Whether the pattern is `*` (or `**`...): matches everything, no need to look. */
  readonly matchesAll: boolean;

  constructor(pattern: Uint8Array) {
    this.tokens = compile(pattern);
    const prefix: number[] = [];
    for (const token of this.tokens) {
      if (token.kind !== 'byte') break;
      prefix.push(token.byte);
    }
    this.literalPrefix = Uint8Array.from(prefix);
    this.matchesAll = this.tokens.length > 0 && this.tokens.every((t) => t.kind === 'star');
  }

  matches(subject: Uint8Array): boolean {
    if (this.matchesAll) return true;
    const tokens = this.tokens;
    let t = 0;
    let s = 0;
    // Where to resume after the last `*`: the token after it, and the subject byte it will swallow next.
    let starToken = -1;
    let starSubject = 0;
    while (s < subject.length) {
      const token = t < tokens.length ? tokens[t]! : null;
      if (token?.kind === 'star') {
        starToken = t++;
        starSubject = s;
        continue;
      }
      if (token !== null && matchesOne(token, subject[s]!)) {
        t++;
        s++;
        continue;
      }
      if (starToken < 0) return false;
      // Let the last `*` take one more byte and try the rest again.
      t = starToken + 1;
      s = ++starSubject;
    }
    while (t < tokens.length && tokens[t]!.kind === 'star') t++;
    return t === tokens.length;
  }
}

function matchesOne(token: Token, byte: number): boolean {
  switch (token.kind) {
    case 'star': return true;
    case 'any': return true;
    case 'byte': return token.byte === byte;
    case 'class': return token.member[byte] === 1;
  }
}

function compile(p: Uint8Array): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === STAR) {
      if (tokens.length === 0 || tokens[tokens.length - 1]!.kind !== 'star') tokens.push({ kind: 'star' });
      i++;
    } else if (c === QUESTION) {
      tokens.push({ kind: 'any' });
      i++;
    } else if (c === OPEN) {
      const { member, next } = compileClass(p, i + 1);
      tokens.push({ kind: 'class', member });
      i = next;
    } else if (c === BACKSLASH && i + 1 < p.length) {
      tokens.push({ kind: 'byte', byte: p[i + 1]! });
      i += 2;
    } else {
      tokens.push({ kind: 'byte', byte: c });
      i++;
    }
  }
  return tokens;
}

/** The class starting at `from` (just after `[`), walked exactly as Redis walks it. */
function compileClass(p: Uint8Array, from: number): { member: Uint8Array; next: number } {
  const member = new Uint8Array(256);
  let i = from;
  const negate = i < p.length && p[i] === CARET;
  if (negate) i++;
  while (i < p.length) {
    const c = p[i]!;
    if (c === BACKSLASH && i + 1 < p.length) {
      member[p[i + 1]!] = 1;
      i += 2;
    } else if (c === CLOSE) {
      i++;
      break;
    } else if (i + 2 < p.length && p[i + 1] === DASH) {
      // Redis reads `x-y` whenever two more bytes follow, even if y is `]`.
      const low = Math.min(c, p[i + 2]!);
      const high = Math.max(c, p[i + 2]!);
      member.fill(1, low, high + 1);
      i += 3;
    } else {
      member[c] = 1;
      i++;
    }
  }
  if (negate) for (let b = 0; b < 256; b++) member[b] = member[b] === 1 ? 0 : 1;
  return { member, next: i };
}
