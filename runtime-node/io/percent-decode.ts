// Keys in URLs are percent-encoded bytes (RFC 3986). We decode to bytes, not
// to a JS string, so any binary key can be addressed: %FF is the byte 0xFF.
// Characters that are not escaped are taken as UTF-8.

const encoder = new TextEncoder();

/** The bytes, or null for a malformed escape. */
export function percentDecodeToBytes(text: string): Uint8Array | null {
  if (!text.includes('%')) return encoder.encode(text);
  const out: number[] = [];
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      out.push(parseInt(hex, 16));
      i += 3;
      continue;
    }
    // Copy a run of unescaped characters as UTF-8.
    let j = i;
    while (j < text.length && text.charCodeAt(j) !== 0x25) j++;
    for (const b of encoder.encode(text.slice(i, j))) out.push(b);
    i = j;
  }
  return Uint8Array.from(out);
}

/** Query string to a map of decoded values ('+' is a space, as in forms). */
export function parseQuery(query: string): Map<string, string> {
  const params = new Map<string, string>();
  if (!query) return params;
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      params.set(decodeURIComponent(name.replace(/\+/g, ' ')), decodeURIComponent(value.replace(/\+/g, ' ')));
    } catch {
      params.set(name, value); // malformed escapes: keep raw; validation reports them
    }
  }
  return params;
}
