// The number SORT sorts an element by (without ALPHA): its text read as
// Redis reads it, with C's strtod, and refused as Redis refuses it (text
// left over, out of a double's range, or NaN). So, as in Redis, an empty
// value counts as 0, a NUL byte ends the text, leading white space is skipped, hex floats, "inf" and
// "infinity" are numbers; trailing space, "nan", 1e400 and 1e-400 are not.

/** C's isspace in the "C" locale: space, \t, \n, \v, \f, \r. */
function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INFINITE = /^[-+]?inf(?:inity)?$/i;
const HEX = /^([-+]?)0[xX](?=\.?[0-9a-fA-F])([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([-+]?\d+))?$/;
/** A nonzero decimal digit before any exponent: the text is not zero, so a zero result underflowed. */
const NONZERO_MANTISSA = /^[^eE]*[1-9]/;
/** The smallest normal double: glibc's strtod reports ERANGE for results below it (underflow). */
const DOUBLE_NORMAL_MIN = 2.2250738585072014e-308;

/** The text's number, or null when Redis would refuse it ("One or more scores can't be converted into double"). */
export function sortScoreOf(bytes: Uint8Array): number | null {
  // strtod reads a C string: it ends at the first NUL byte.
  const nul = bytes.indexOf(0);
  const end = nul < 0 ? bytes.length : nul;
  // strtod converts nothing from an empty text and leaves nothing over: Redis takes it as 0.
  if (end === 0) return 0;
  let from = 0;
  while (from < end && isCSpace(bytes[from]!)) from++;
  let text = '';
  for (let i = from; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return null;
    text += String.fromCharCode(c);
  }
  if (INFINITE.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  let value: number;
  let nonzero: boolean;
  const hex = HEX.exec(text);
  if (hex !== null) {
    value = hexValue(hex[1]!, hex[2]!, hex[3] ?? '', hex[4] ?? '0');
    nonzero = /[1-9a-fA-F]/.test(hex[2]! + (hex[3] ?? ''));
  } else if (DECIMAL.test(text)) {
    value = Number(text);
    nonzero = NONZERO_MANTISSA.test(text);
  } else {
    return null;
  }
  if (!Number.isFinite(value)) return null;
  if (nonzero && Math.abs(value) < DOUBLE_NORMAL_MIN) return null;
  return value;
}

function hexValue(sign: string, whole: string, fraction: string, exponent: string): number {
  let mantissa = 0;
  for (const d of whole + fraction) mantissa = mantissa * 16 + parseInt(d, 16);
  const value = mantissa * 2 ** (Number(exponent) - 4 * fraction.length);
  return sign === '-' ? -value : value;
}
