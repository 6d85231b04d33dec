/** True when `needle` occurs anywhere in `haystack`: how tests look for plaintext leaking into stored bytes. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * Every byte a stored row holds, as one array: its byte fields as they are and its strings and numbers as UTF-8.
 * Searching this for a plaintext covers every column, not only the one expected to hold ciphertext.
 */
export function rowBytes(row: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(value);
    else if (value instanceof ArrayBuffer) parts.push(new Uint8Array(value));
    else if (typeof value === 'string' || typeof value === 'number') {
      parts.push(new TextEncoder().encode(String(value)));
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(row);
  // A zero byte between fields keeps a match from spanning two of them.
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length + 1;
  }
  return out;
}

/** A copy of `bytes` with one byte XORed by `mask` (never 0, so the byte always changes). */
export function flipByte(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index] ^= mask;
  return out;
}
