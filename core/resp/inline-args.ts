// Splitting an inline command line (what `redis-cli` or telnet users type:
// `SET greeting "hello\nworld"`) into arguments, with the rules of Redis's
// sdssplitargs so that a line means the same thing here as in Redis:
//
// - arguments are separated by blanks (space, \t, \r, \n, \v, \f);
// - "double quotes" understand \n \r \t \b \a \\ \" and \xHH; any other
//   escaped character stands for itself;
// - 'single quotes' understand only \' ;
// - a closing quote must be followed by a blank or the end of the line;
// - quotes may start mid-argument: foo"bar" is one argument, foobar;
// - a NUL byte ends the line, as in C (Redis parses the line as a C string).

const NUL = 0x00;
const BACKSLASH = 0x5c;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

/** C isspace(): blanks that separate arguments. */
function isBlank(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** The byte a backslash escape inside double quotes stands for. */
function unescape(c: number): number {
  switch (c) {
    case 0x6e: return 0x0a; // \n
    case 0x72: return 0x0d; // \r
    case 0x74: return 0x09; // \t
    case 0x62: return 0x08; // \b
    case 0x61: return 0x07; // \a
    default: return c;
  }
}

/**
 * The arguments of one inline line (without its line ending), or null when
 * quotes are unbalanced (Redis: "Protocol error: unbalanced quotes in
 * request"). Arguments are views into one fresh buffer, never into `line`.
 */
export function splitInlineArgs(line: Uint8Array): Uint8Array[] | null {
  const n = line.length;
  // Reading past the end yields NUL, as reading a C string's terminator.
  const at = (i: number): number => (i < n ? line[i]! : NUL);
  // Unescaping only shrinks text, so every argument fits in `out`.
  const out = new Uint8Array(n);
  let written = 0;
  const args: Uint8Array[] = [];
  let p = 0;
  while (true) {
    while (at(p) !== NUL && isBlank(at(p))) p++;
    if (at(p) === NUL) return args;
    const argStart = written;
    let inDoubleQuotes = false;
    let inSingleQuotes = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDoubleQuotes) {
        if (c === BACKSLASH && at(p + 1) === 0x78 /* x */ && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          out[written++] = hexValue(at(p + 2)) * 16 + hexValue(at(p + 3));
          p += 3;
        } else if (c === BACKSLASH && at(p + 1) !== NUL) {
          p++;
          out[written++] = unescape(at(p));
        } else if (c === DOUBLE_QUOTE) {
          if (at(p + 1) !== NUL && !isBlank(at(p + 1))) return null;
          done = true;
        } else if (c === NUL) {
          return null;
        } else {
          out[written++] = c;
        }
      } else if (inSingleQuotes) {
        if (c === BACKSLASH && at(p + 1) === SINGLE_QUOTE) {
          p++;
          out[written++] = SINGLE_QUOTE;
        } else if (c === SINGLE_QUOTE) {
          if (at(p + 1) !== NUL && !isBlank(at(p + 1))) return null;
          done = true;
        } else if (c === NUL) {
          return null;
        } else {
          out[written++] = c;
        }
      } else {
        switch (c) {
          // Only these end an unquoted argument (not \v or \f), as in Redis.
          case 0x20: case 0x0a: case 0x0d: case 0x09: case NUL:
            done = true;
            break;
          case DOUBLE_QUOTE:
            inDoubleQuotes = true;
            break;
          case SINGLE_QUOTE:
            inSingleQuotes = true;
            break;
          default:
            out[written++] = c;
        }
      }
      if (at(p) !== NUL) p++;
    }
    args.push(out.subarray(argStart, written));
  }
}
